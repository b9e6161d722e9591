import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isReadError } from '../../../src/session/read/description.ts';
import type { ReadWarning } from '../../../src/session/read/description.ts';
import { openPath } from '../../../src/session/read/open-file.node.ts';
import { CORPUS } from './corpus/make-corpus.ts';
import { tempDir } from './helpers.ts';

const tmp = tempDir('flamingo-corpus-');
afterAll(() => tmp.remove());

describe('corpus of broken inputs', () => {
  it('has at least 30 cases with unique names', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(30);
    expect(new Set(CORPUS.map((c) => c.name)).size).toBe(CORPUS.length);
  });

  for (const c of CORPUS) {
    it(c.name, async () => {
      const target = path.join(tmp.dir, c.name);
      await c.build(target);
      const exp = c.expect;
      if ('error' in exp) {
        const err = await openPath(target).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, 'an error').toBeDefined();
        if (!isReadError(err)) throw err as Error;
        expect({ code: err.code, message: err.message }).toEqual({ code: exp.error, message: expect.stringMatching(exp.message) });
        // one sentence, no stack-like noise
        expect(err.message.length).toBeLessThan(400);
        return;
      }
      const seen: ReadWarning[] = [];
      const image = await openPath(target, { onWarning: (w) => seen.push(w) });
      const data = [];
      for (const level of image.levels) {
        data.push(await level.readRegion({ start: level.shape.map(() => 0), stop: level.shape.slice() }));
      }
      const bad = seen.filter((w) => w.code === 'bad-chunk');
      expect(bad.map((w) => w.key)).toEqual([exp.key]);
      expect(bad[0]!.message).toMatch(exp.warning);
      expect(image.warnings).toEqual(seen);
      if (image.source === 'ome-ngff-0.4') {
        // Everything outside the bad chunk reads exactly; the bad chunk reads as fill.
        const badChunk = exp.key.split('/').slice(1).map(Number);
        const { data: d, shape } = data[0]!;
        let wrong = 0;
        let k = 0;
        for (let ch = 0; ch < shape[0]!; ch++)
          for (let z = 0; z < shape[1]!; z++)
            for (let y = 0; y < shape[2]!; y++)
              for (let x = 0; x < shape[3]!; x++) {
                const inBad = [ch, Math.floor(z / 2), Math.floor(y / 8), Math.floor(x / 8)].every((v, a) => v === badChunk[a]);
                if (d[k++] !== (inBad ? 0 : ch * 1000 + z * 7 + y * 3 + x)) wrong++;
              }
        expect(wrong).toBe(0);
      }
    });
  }
});
