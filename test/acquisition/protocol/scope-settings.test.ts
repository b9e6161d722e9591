import { describe, expect, it } from 'vitest';
import { isProtocolError } from '../../../src/acquisition/protocol/errors.ts';
import { buildScopeSettingsText, defaultScopeSettingsText, parseScopeSettings } from '../../../src/acquisition/protocol/scope-settings.ts';
import { specBlock } from '../../support.ts';

const GOLDEN = specBlock('flamingo-protocol.md', '### 9.4');
const bytes = (s: string): number => new TextEncoder().encode(s).length;

function expectBadSettings(fn: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(isProtocolError(caught, 'bad-settings'), String(caught)).toBe(true);
  expect((caught as Error).message).toMatch(message);
}

describe('parseScopeSettings', () => {
  it('reads the §9.4 example', () => {
    expect(bytes(GOLDEN)).toBe(2935);
    const s = parseScopeSettings(GOLDEN);
    expect(s.sections.map((x) => x.name)).toEqual([
      'Filter wheel encoder counts',
      'Filter wheel position assignments',
      'Illumination settings',
      'Stage limits',
      'Camera overlap settings',
      'LED settings',
      'Type',
    ]);
    expect(s.microscopeName).toBe('simscope');
    expect(s.address).toEqual({ host: '127.0.0.1', port: 53717 });
    expect(s.magnification).toBe(6.205);
    expect(s.tubeLensMm).toBe(200);
    expect(s.sensorPixelUm).toBe(6.5);
    expect(s.pixelSizeUm).toBeCloseTo(1.0475, 4);
    expect(s.hardLimits).toEqual({ x: { min: 1, max: 15 }, y: { min: 5, max: 25 }, z: { min: 8, max: 25 }, r: { min: -720, max: 720 } });
    expect(s.softLimits).toEqual({ x: { min: 1, max: 15 }, y: { min: 5, max: 25 }, z: { min: 11, max: 25 }, r: { min: -720, max: 720 } });
    expect(s.home).toEqual({ x: 8, y: 14, z: 19, r: 0 });
    expect(s.unload).toEqual({ x: 1, y: 5, z: 11, r: 0 });
    expect(s.velocity).toEqual({ x: 1, y: 1, z: 1, r: 50 });
    expect(s.filterAssignments).toEqual({ 'Laser 1': 0, 'Laser 2': 1, 'Laser 3': 2, 'Laser 4': 3, 'Laser 5': 0, 'Laser 6': 0, 'Laser 7': 0, LED: 4 });
    expect(s.ledSelection).toBe(1);
    const twoTokens = s.sections[0]?.entries[0];
    expect(twoTokens).toEqual(['Filter wheel position 1', '1780 7']);
  });

  it('accepts CRLF, bytes, trailing NULs and an optional Camera section with a Latin-1 µ', () => {
    const crlf = `${GOLDEN.replace(/\n/g, '\r\n')}\r\n\0\0`;
    expect(parseScopeSettings(crlf).home).toEqual({ x: 8, y: 14, z: 19, r: 0 });
    const withCamera = `${GOLDEN}\n<Camera>\n  Physical pixel size (\u00B5m) = 3.25\n</Camera>`;
    const latin1 = Uint8Array.from(withCamera, (c) => (c.charCodeAt(0) < 256 ? c.charCodeAt(0) : 0x3f));
    const s = parseScopeSettings(latin1);
    expect(s.sensorPixelUm).toBe(3.25);
    expect(s.pixelSizeUm).toBeCloseTo(1.0475 / 2, 4);
  });

  it('uses the tube lens against the 200 mm reference', () => {
    const s = parseScopeSettings(GOLDEN.replace('Tube lens design focal length (mm) = 200', 'Tube lens design focal length (mm) = 400'));
    expect(s.pixelSizeUm).toBeCloseTo(1.0475 / 2, 4);
  });

  it('reads the rig’s own values', () => {
    const rig = GOLDEN.replace('Hard limit max x-axis = 15.000', 'Hard limit max x-axis = 14.999998')
      .replace('Home x-axis = 8.000', 'Home x-axis = 8.032')
      .replace('Home r-axis = 0.000', 'Home r-axis = -217.965');
    const s = parseScopeSettings(rig);
    expect(s.hardLimits.x.max).toBe(14.999998);
    expect(s.home).toEqual({ x: 8.032, y: 14, z: 19, r: -217.965 });
  });

  it('gives a null address when it is absent or not <host> <port>', () => {
    expect(parseScopeSettings(GOLDEN.replace(/ {2}Microscope address = .*\n/, '')).address).toBeNull();
    expect(parseScopeSettings(GOLDEN.replace('127.0.0.1 53717', '127.0.0.1')).address).toBeNull();
  });

  it('defaults the optional keys', () => {
    const s = parseScopeSettings(
      GOLDEN.replace(/ {2}Tube lens design focal length \(mm\) = .*\n/, '')
        .replace(/ {2}Unload r-axis = .*\n/, '')
        .replace(/<LED settings>[\s\S]*<\/LED settings>\n/, '')
        .replace(/<Filter wheel position assignments>[\s\S]*<\/Filter wheel position assignments>\n/, ''),
    );
    expect(s.tubeLensMm).toBe(200);
    expect(s.unload.r).toBe(0);
    expect(s.ledSelection).toBe(0);
    expect(s.filterAssignments).toEqual({});
  });

  it.each([
    ['a missing hard limit', (t: string) => t.replace(/ {2}Hard limit min z-axis = .*\n/, ''), /no 'Hard limit min z-axis' in <Stage limits>/],
    ['a missing home', (t: string) => t.replace(/ {2}Home y-axis = .*\n/, ''), /no 'Home y-axis' in <Stage limits>/],
    ['a missing velocity', (t: string) => t.replace(/ {2}Default velocity r-axis = .*\n/, ''), /no 'Default velocity r-axis'/],
    ['a missing name', (t: string) => t.replace(/ {2}Microscope name = .*\n/, ''), /no 'Microscope name' in <Type>/],
    ['a missing magnification', (t: string) => t.replace(/ {2}Objective lens magnification = .*\n/, ''), /no 'Objective lens magnification' in <Type>/],
    ['a zero magnification', (t: string) => t.replace('magnification = 6.205', 'magnification = 0'), /must be positive/],
    ['a missing Stage limits section', (t: string) => t.replace(/<Stage limits>[\s\S]*<\/Stage limits>\n/, ''), /no 'Hard limit min x-axis' in <Stage limits>/],
    ['a non-number', (t: string) => t.replace('Soft limit min z-axis = 11.000', 'Soft limit min z-axis = eleven'), /'Soft limit min z-axis' in <Stage limits> has 'eleven', which is not a number/],
    ['an unterminated section', (t: string) => t.replace('</Type>', ''), /<Type> opened on line \d+ is never closed/],
    ['an empty text', () => '', /no sections/],
  ])('rejects %s naming the problem', (_what, edit, message) => {
    expectBadSettings(() => parseScopeSettings(edit(GOLDEN)), message);
  });
});

describe('buildScopeSettingsText', () => {
  it('writes the §9.4 example back byte for byte', () => {
    expect(buildScopeSettingsText(parseScopeSettings(GOLDEN).sections)).toBe(GOLDEN);
  });

  it('writes empty values as "key = " and rejects line breaks', () => {
    expect(buildScopeSettingsText([{ name: 'S', entries: [['k', '']] }])).toBe('<S>\n  k = \n</S>');
    expectBadSettings(() => buildScopeSettingsText([{ name: 'S', entries: [['k', 'a\nb']] }]), /contains a line break/);
    expectBadSettings(() => buildScopeSettingsText([{ name: 'S', entries: [['k = j', 'x']] }]), /without '='/);
    expectBadSettings(() => buildScopeSettingsText([{ name: '', entries: [] }]), /section name/);
  });
});

describe('defaultScopeSettingsText', () => {
  it('is the §9.4 example by default', () => {
    const text = defaultScopeSettingsText();
    expect(text).toBe(GOLDEN);
    expect(bytes(text)).toBeGreaterThanOrEqual(2000);
  });

  it('fills in name and address, stays ≥ 2000 bytes and round-trips through the parser', () => {
    const text = defaultScopeSettingsText({ name: 'n7', host: '10.0.0.5', port: 53717 });
    expect(bytes(text)).toBeGreaterThanOrEqual(2000);
    const s = parseScopeSettings(text);
    expect(s.microscopeName).toBe('n7');
    expect(s.address).toEqual({ host: '10.0.0.5', port: 53717 });
    expect(buildScopeSettingsText(s.sections)).toBe(text);
    expect(s.sections).toHaveLength(7);
  });

  it('rejects an unusable name, host or port', () => {
    expectBadSettings(() => defaultScopeSettingsText({ name: ' ' }), /name must not be empty/);
    expectBadSettings(() => defaultScopeSettingsText({ host: 'a b' }), /host 'a b'/);
    expectBadSettings(() => defaultScopeSettingsText({ port: 70000 }), /port 70000/);
    expectBadSettings(() => defaultScopeSettingsText({ name: 'a\nb' }), /line break/);
  });
});
