/**
 * Test helper (Node): Ajv 2020 with every official OME-NGFF 0.4 schema from
 * `../shared/ngff/0.4/schemas/` registered by its `$id` (NOTICE.md, "Notes for use"). The
 * schema files are read at test time, never copied into the project.
 *
 * @example
 * expect(strictImageErrors(JSON.parse(zattrsText))).toEqual([]);
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';

export const NGFF_04 = '../shared/ngff/0.4';
export const NGFF_BASE = 'https://ngff.openmicroscopy.org/0.4/';

let ajv: InstanceType<typeof Ajv2020> | undefined;

export function officialAjv(): InstanceType<typeof Ajv2020> {
  if (!ajv) {
    // strict: false for the schemas' own keywords; strictNumbers: NaN and ±Infinity are not JSON numbers.
    ajv = new Ajv2020({ strict: false, strictNumbers: true, allErrors: true });
    for (const f of readdirSync(join(NGFF_04, 'schemas'))) {
      ajv.addSchema(JSON.parse(readFileSync(join(NGFF_04, 'schemas', f), 'utf8')) as object);
    }
  }
  return ajv;
}

/** Ajv's messages for `attrs` against `strict_image.schema` (or `image.schema`); empty = valid. */
export function strictImageErrors(attrs: unknown, schema: 'strict_image' | 'image' = 'strict_image'): string[] {
  const validate = officialAjv().getSchema(`${NGFF_BASE}schemas/${schema}.schema`);
  if (!validate) throw new Error(`The official ${schema}.schema is not registered.`);
  if (validate(attrs)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}`);
}
