import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ngffImageSchemaErrors } from '../../../src/session/metadata/ngff-schema.ts';
import { NGFF_04 as NGFF, NGFF_BASE as BASE, officialAjv } from './official-schemas.node.ts';
import { prng } from '../../support.ts';

interface SuiteCase {
  description: string;
  formerly?: string;
  data: unknown;
  valid: boolean;
}
interface Suite {
  schema: { id: string };
  tests: SuiteCase[];
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8')) as unknown;
}

const ajv = officialAjv();
const suites: [string, boolean][] = [
  ['strict_image_suite.json', true],
  ['image_suite.json', false],
];

describe.each(suites)('official suite %s', (file, strict) => {
  const suite = readJson(join(NGFF, 'tests', file)) as Suite;
  const schemaId = new URL(suite.schema.id, BASE).href;
  const validate = ajv.getSchema(schemaId);

  it('has cases and the schema resolves', () => {
    expect(suite.tests.length).toBeGreaterThan(0);
    expect(validate).toBeDefined();
  });

  it.each(suite.tests.map((t) => [t.formerly ?? t.description, t] as const))('%s', (_name, t) => {
    const ours = ngffImageSchemaErrors(t.data, { strict });
    expect(ours.length === 0, ours.join('\n')).toBe(t.valid);
    expect(validate?.(t.data)).toBe(t.valid);
  });
});

describe('reference sample', () => {
  const attrs = readJson('../shared/ngff/samples/reference-czyx-u2-zstd.ome.zarr/.zattrs');
  it('passes our strict validator and Ajv with strict_image.schema', () => {
    expect(ngffImageSchemaErrors(attrs, { strict: true })).toEqual([]);
    expect(ajv.getSchema(`${BASE}schemas/strict_image.schema`)?.(attrs)).toBe(true);
  });
});

describe('agreement with Ajv on mutations of the reference sample', () => {
  const base = readJson('../shared/ngff/samples/reference-czyx-u2-zstd.ome.zarr/.zattrs') as Record<string, unknown>;
  const strictSchema = ajv.getSchema(`${BASE}schemas/strict_image.schema`);
  type Mut = (a: any) => void; // eslint-disable-line @typescript-eslint/no-explicit-any
  const mutations: [string, Mut][] = [
    ['axis without type', (a) => delete a.multiscales[0].axes[0].type],
    ['axis type number', (a) => (a.multiscales[0].axes[0].type = 3)],
    ['axis name number', (a) => (a.multiscales[0].axes[1].name = 3)],
    ['axis not an object', (a) => (a.multiscales[0].axes[0] = 'c')],
    ['axis unit number', (a) => (a.multiscales[0].axes[1].unit = 1)],
    ['four space axes', (a) => (a.multiscales[0].axes[0] = { name: 'w', type: 'space' })],
    ['custom axis type', (a) => (a.multiscales[0].axes[0].type = 'angle')],
    ['one axis', (a) => (a.multiscales[0].axes = [{ name: 'x', type: 'space' }])],
    ['six axes', (a) => a.multiscales[0].axes.push({ name: 't', type: 'time' }, { name: 'q' })],
    ['translation first', (a) => a.multiscales[0].datasets[0].coordinateTransformations.reverse()],
    ['two translations', (a) => a.multiscales[0].datasets[0].coordinateTransformations.push({ type: 'translation', translation: [0, 0] })],
    ['scale of one number', (a) => (a.multiscales[0].datasets[0].coordinateTransformations[0].scale = [1])],
    ['scale with a string', (a) => (a.multiscales[0].datasets[0].coordinateTransformations[0].scale[0] = '1')],
    ['transform not object', (a) => (a.multiscales[0].datasets[0].coordinateTransformations[1] = 5)],
    ['transform type identity', (a) => (a.multiscales[0].datasets[0].coordinateTransformations[1] = { type: 'identity' })],
    ['empty transforms', (a) => (a.multiscales[0].datasets[0].coordinateTransformations = [])],
    ['multiscale-level transforms', (a) => (a.multiscales[0].coordinateTransformations = [{ type: 'scale', scale: [1, 1, 1, 1] }])],
    ['bad multiscale-level transforms', (a) => (a.multiscales[0].coordinateTransformations = [{ type: 'translation', translation: [1, 1, 1, 1] }])],
    ['path number', (a) => (a.multiscales[0].datasets[0].path = 0)],
    ['dataset not object', (a) => (a.multiscales[0].datasets[1] = [])],
    ['duplicate multiscales', (a) => a.multiscales.push(structuredClone(a.multiscales[0]))],
    ['two different multiscales', (a) => a.multiscales.push({ ...structuredClone(a.multiscales[0]), name: 'other' })],
    ['version 0.4.1', (a) => (a.multiscales[0].version = '0.4.1')],
    ['version removed', (a) => delete a.multiscales[0].version],
    ['metadata removed', (a) => delete a.multiscales[0].metadata],
    ['name number', (a) => (a.multiscales[0].name = 5)],
    ['multiscales object', (a) => (a.multiscales = a.multiscales[0])],
    ['omero not object', (a) => (a.omero = [])],
    ['omero without channels', (a) => delete a.omero.channels],
    ['omero channels object', (a) => (a.omero.channels = {})],
    ['window removed', (a) => delete a.omero.channels[0].window],
    ['window.start string', (a) => (a.omero.channels[0].window.start = '0')],
    ['window.max removed', (a) => delete a.omero.channels[1].window.max],
    ['color #', (a) => (a.omero.channels[0].color = '#00FF00')],
    ['active string', (a) => (a.omero.channels[0].active = 'true')],
    ['label number', (a) => (a.omero.channels[0].label = 1)],
    ['family null', (a) => (a.omero.channels[0].family = null)],
    ['unit um (schema valid)', (a) => (a.multiscales[0].axes[1].unit = 'um')],
    ['axes z,c,y,x (schema valid)', (a) => a.multiscales[0].axes.unshift(a.multiscales[0].axes.splice(1, 1)[0])],
    ['root array', (a) => Object.keys(a).forEach((k) => delete a[k])],
    ['NaN scale (a JS object, not JSON)', (a) => (a.multiscales[0].datasets[0].coordinateTransformations[0].scale[1] = Number.NaN)],
    ['Infinity window', (a) => (a.omero.channels[0].window.end = Number.POSITIVE_INFINITY)],
  ];
  it.each(mutations)('%s', (_name, mutate) => {
    const a = structuredClone(base);
    mutate(a);
    for (const strict of [true, false]) {
      const ours = ngffImageSchemaErrors(a, { strict });
      const theirs = strict ? strictSchema?.(a) : ajv.getSchema(`${BASE}schemas/image.schema`)?.(a);
      expect(ours.length === 0, `strict=${strict}: ${ours.join('; ')}`).toBe(theirs);
    }
  });
  it('non-objects at the root', () => {
    for (const v of [[], null, 3, 'x']) {
      expect(ngffImageSchemaErrors(v, { strict: true }).length > 0).toBe(!strictSchema?.(v));
    }
  });
});

describe('official examples (multiscales_strict, JSONC)', () => {
  const dir = join(NGFF, 'examples', 'multiscales_strict');
  const files = ['multiscales_example.json', 'multiscales_transformations.json'];
  it.each(files)('%s is valid for us and for Ajv', (f) => {
    // Comments here are whole-line `//` comments (strings hold no `//`).
    const text = readFileSync(join(dir, f), 'utf8').replace(/^\s*\/\/.*$/gm, '');
    const attrs = JSON.parse(text) as unknown;
    expect(ngffImageSchemaErrors(attrs, { strict: true })).toEqual([]);
    expect(ajv.getSchema(`${BASE}schemas/strict_image.schema`)?.(attrs)).toBe(true);
  });
});

describe('random mutations: our verdict equals Ajv on every one', () => {
  const seeds: unknown[] = [
    readJson('../shared/ngff/samples/reference-czyx-u2-zstd.ome.zarr/.zattrs'),
    ...(readJson(join(NGFF, 'tests', 'strict_image_suite.json')) as Suite).tests.map((t) => t.data),
    ...(readJson(join(NGFF, 'tests', 'image_suite.json')) as Suite).tests.map((t) => t.data),
  ];
  const replacements: unknown[] = [null, 0, 2, -1, Number.NaN, Number.NEGATIVE_INFINITY, 'x', 'space', 'time', 'channel', 'scale', 'translation', '0.4', true, [], {}, [1], [1, 2], ['a', 'b'], { name: 'q' }, { name: 'z', type: 'space' }];

  /** Every container (object or array) inside `v`. */
  function containers(v: unknown, out: (Record<string, unknown> | unknown[])[] = []): (Record<string, unknown> | unknown[])[] {
    if (Array.isArray(v)) {
      out.push(v);
      v.forEach((x) => containers(x, out));
    } else if (typeof v === 'object' && v !== null) {
      out.push(v as Record<string, unknown>);
      Object.values(v).forEach((x) => containers(x, out));
    }
    return out;
  }

  it('3000 mutants', () => {
    const rand = prng(20261126);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const strictV = ajv.getSchema(`${BASE}schemas/strict_image.schema`);
    const imageV = ajv.getSchema(`${BASE}schemas/image.schema`);
    let disagreements = 0;
    let validCount = 0;
    const examples: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const doc = structuredClone(pick(seeds));
      const edits = 1 + Math.floor(rand() * 3);
      for (let e = 0; e < edits; e++) {
        const c = pick(containers(doc));
        if (Array.isArray(c)) {
          const op = rand();
          if (op < 0.3 && c.length) c.splice(Math.floor(rand() * c.length), 1);
          else if (op < 0.6 && c.length) c.push(structuredClone(pick(c)));
          else if (c.length) c[Math.floor(rand() * c.length)] = structuredClone(pick(replacements));
          else c.push(structuredClone(pick(replacements)));
        } else {
          const keys = Object.keys(c);
          const op = rand();
          if (op < 0.35 && keys.length) delete c[pick(keys)];
          else if (op < 0.85 && keys.length) c[pick(keys)] = structuredClone(pick(replacements));
          else c[pick(['type', 'name', 'unit', 'version', 'scale', 'translation', 'window', 'color', 'coordinateTransformations', 'metadata'])] = structuredClone(pick(replacements));
        }
      }
      for (const [strict, v] of [[true, strictV], [false, imageV]] as const) {
        const ours = ngffImageSchemaErrors(doc, { strict }).length === 0;
        if (ours) validCount++;
        if (ours !== v?.(doc)) {
          disagreements++;
          if (examples.length < 3) examples.push(`strict=${strict} ours=${ours}: ${JSON.stringify(doc)}`);
        }
      }
    }
    expect(disagreements, examples.join('\n')).toBe(0);
    // Both verdicts occur (321 of the 6000 verdicts are "valid" with this seed).
    expect(validCount).toBeGreaterThan(200);
    expect(validCount).toBeLessThan(5800);
  });
});
