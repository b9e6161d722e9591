/** The Flamingo wire codec (pure TypeScript): records, codes, frames, stream parsers, texts. */
export * from './constants.ts';
export * from './errors.ts';
export * from './codes.ts';
export * from './record.ts';
export * from './command-stream.ts';
export * from './frame.ts';
export * from './sectioned-text.ts';
export * from './workflow.ts';
export * from './workflow-stacks.ts';
export * from './scope-settings.ts';
export * from './tile-geometry.ts';
