import { describe, expect, it } from 'vitest';
import { parityProfileFor, ScipyError, ScipyReference } from '../../src/bench/scipy.node.ts';

describe('the scipy reference worker', () => {
  it('picks the parity profile of the installed scipy', () => {
    expect(parityProfileFor('1.10.1')).toEqual({ profile: 'scipy-1.10', exact: true });
    expect(parityProfileFor('1.17.1')).toEqual({ profile: 'scipy-1.17', exact: true });
    expect(parityProfileFor('1.13.0')).toEqual({ profile: 'scipy-1.10', exact: false });
    expect(parityProfileFor('1.18.0')).toEqual({ profile: 'scipy-1.17', exact: false });
  });

  it('reports its environment and numpy offsets equal to the §5.4 table up to the 1-ulp FMA variant', async () => {
    const ref = await ScipyReference.start();
    try {
      expect(ref.environment).toMatchObject({ runtime: 'python', cross_origin_isolated: null });
      expect(ref.environment.versions['scipy']).toMatch(/^\d+\.\d+/);
      const offsets = await ref.offsets([200]);
      expect(offsets(200, 45, [])).toEqual([-41.42135623730951, 0, 100.00000000000001]);
      expect([29.28932188134526, 29.289321881345245]).toContain(offsets(200, 15, [])[2]);
      expect(() => offsets(300, 15, [])).toThrow(/no offset for 300³ at 15°/);
    } finally {
      await ref.close();
    }
  });

  it('a python that cannot start is one clear error', async () => {
    const err = await ScipyReference.start('/nonexistent/python3').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScipyError);
    expect((err as Error).message).toMatch(/^Could not start \/nonexistent\/python3 for the scipy reference: .*ENOENT.*\.$/);
  });
});
