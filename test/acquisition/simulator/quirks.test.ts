import { describe, expect, it } from 'vitest';
import { profileQuirks, QUIRK_FLAGS, resolveQuirks } from '../../../src/acquisition/simulator/quirks.ts';

describe('quirk switches', () => {
  it('default profile has every quirk off; rig profile the starred ones', () => {
    expect(Object.values(profileQuirks('default')).every((v) => v === false)).toBe(true);
    const rig = profileQuirks('rig');
    expect(Object.entries(rig).filter(([, v]) => v).map(([k]) => k).sort()).toEqual(['positionSilenceDuringRun', 'staleIdle', 'trailingFrames']);
  });

  it('names every switch once in kebab case', () => {
    const keys = Object.keys(profileQuirks('default')).sort();
    expect(Object.values(QUIRK_FLAGS).sort()).toEqual(keys);
    for (const [flag, key] of Object.entries(QUIRK_FLAGS)) expect(flag).toBe(key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`));
  });

  it('applies overrides over a profile, each switch on its own', () => {
    expect(resolveQuirks('rig', { staleIdle: false, droppedFrames: true })).toMatchObject({ staleIdle: false, droppedFrames: true, trailingFrames: true });
    expect(() => resolveQuirks('default', { nope: true } as never)).toThrow(/Unknown quirk/);
    expect(() => profileQuirks('lab' as never)).toThrow(/profile/);
  });
});
