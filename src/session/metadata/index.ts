/**
 * Session metadata (spec `session-format.md` §3–§4, §6): the typed model, the builders of the
 * exact `.zgroup` / `.zattrs` / `.zarray` JSON, the parsers for readers and the validator.
 * Pure TypeScript: no Node built-ins, runs in browsers and workers.
 */

export * from './types.ts';
export * from './errors.ts';
export { jsonBytes, jsonText, parseJson, jsonEqual } from './json.ts';
export * from './layout.ts';
export * from './build.ts';
export { parseFlamingo, newerFormatMessage } from './flamingo.ts';
export * from './parse.ts';
export { ngffImageSchemaErrors } from './ngff-schema.ts';
export type { NgffSchemaOptions } from './ngff-schema.ts';
export * from './rules.ts';
export * from './from-metadata.ts';
