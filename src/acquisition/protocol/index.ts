/** The Flamingo wire codec (pure TypeScript): records, codes, frames, stream parsers, texts. */
export * from './constants.ts';
export * from './errors.ts';
export * from './codes.ts';
export * from './record.ts';
export * from './command-stream.ts';
export * from './frame.ts';
