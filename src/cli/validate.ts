/**
 * `flamingo-viv validate PATH`: checks a session folder against OME-NGFF 0.4
 * (`strict_image`) and the session format's own rules, and decodes every chunk.
 * Exit 0 valid, 1 invalid (each reason listed), 2 unreadable.
 */
import type { Command } from './command.ts';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check a session folder (OME-NGFF 0.4 and the session rules) and decode every chunk',
  positionals: 'PATH',
  options: {
    'metadata-only': { type: 'boolean', description: 'check the JSON and chunk names, without decoding chunks' },
    json: { type: 'boolean', description: 'print one JSON object: {valid, errors, warnings, levels, shape, format_version}' },
  },
  details: 'Exit status: 0 valid, 1 invalid (every reason is listed), 2 unreadable or bad usage.',
  async run(values, positionals, io) {
    if (positionals.length !== 1) {
      io.err(`flamingo-viv validate: give exactly one session folder, got ${positionals.length}.\n`);
      return 2;
    }
    const [{ FsStore }, { readOnly }, { validateSession }, { v2Compressor }] = await Promise.all([
      import('../session/store/fs-store.ts'),
      import('../session/store/read-only.ts'),
      import('../session/validate.ts'),
      import('../session/read/codecs.ts'),
    ]);
    const path = positionals[0]!;
    const store = readOnly(new FsStore(path));
    const report = await validateSession(store, {
      ...(values['metadata-only']
        ? {}
        : {
            decodeChunk: async (bytes: Uint8Array, compressor: unknown, expectedBytes: number) => {
              const codec = v2Compressor(compressor, path);
              return codec ? codec.decode(bytes, expectedBytes) : bytes;
            },
          }),
    });
    const { valid, errors, warnings, levels, shape, format_version } = report;
    if (values['json']) {
      io.out(JSON.stringify({ valid, errors, warnings, levels, shape, format_version }) + '\n');
    } else {
      io.out(
        [
          `${path}: ${report.unreadable ? 'unreadable' : valid ? 'valid' : 'invalid'}`,
          ...(shape ? [`  ${levels} level(s), level 0 shape [${shape.join(', ')}], format version ${format_version ?? 'none'}`] : []),
          ...errors.map((e) => `  error: ${e}`),
          ...warnings.map((w) => `  warning: ${w}`),
          '',
        ].join('\n'),
      );
    }
    if (report.unreadable) return 2;
    return valid ? 0 : 1;
  },
};
