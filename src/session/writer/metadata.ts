/**
 * The writer's one doorway to the metadata builders and validator (`../metadata/`), so the
 * data path does not depend on their details: layout, initial `flamingo` key, `.zgroup`,
 * `.zarray` and `.zattrs` bytes, each `.zattrs` validated (spec §6.3) before it is written.
 */
import {
  ZGROUP_BYTES,
  ZGROUP_JSON,
  initialFlamingo,
  jsonBytes,
  sessionLayout,
  validateSessionMetadata,
  zarrayBytes,
  zarrayJson,
  zattrsJson,
} from '../metadata/index.ts';
import type { FlamingoAttrs, InitialFlamingoInfo, OmeroOptions, SessionLayout, SessionLayoutInit } from '../metadata/index.ts';

export type { FlamingoAttrs, InitialFlamingoInfo, SessionLayout, SessionLayoutInit };
export { initialFlamingo, sessionLayout };

export const zgroupBytes = (): Uint8Array => ZGROUP_BYTES;

export function levelZarrayBytes(layout: SessionLayout, level: number): Uint8Array {
  return zarrayBytes(layout, level);
}

/**
 * The `.zattrs` bytes for `flamingo`, after the full metadata validation of §6.3 with the
 * `.zgroup` and every `.zarray` the writer wrote. Returns the errors instead when invalid
 * (the caller keeps the last valid file on disk and reports them). `omero` carries the observed
 * data range of `<f4` sessions (`window.min/max`).
 */
export function validatedZattrs(layout: SessionLayout, flamingo: FlamingoAttrs, omero: OmeroOptions = {}): { bytes: Uint8Array } | { errors: string[] } {
  const zattrs = zattrsJson(layout, flamingo, omero);
  const result = validateSessionMetadata(
    { zgroup: ZGROUP_JSON, zattrs, zarrays: layout.levels.map((_, l) => zarrayJson(layout, l)) },
    { requireFlamingo: true },
  );
  if (!result.valid) return { errors: result.errors };
  return { bytes: jsonBytes(zattrs, '.zattrs') };
}
