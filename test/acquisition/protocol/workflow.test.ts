import { describe, expect, it } from 'vitest';
import { isProtocolError } from '../../../src/acquisition/protocol/errors.ts';
import {
  buildWorkflowText,
  defaultWorkflowSettings,
  parseWorkflowDuration,
  parseWorkflowText,
  timePoints,
} from '../../../src/acquisition/protocol/workflow.ts';
import type { WorkflowSettings } from '../../../src/acquisition/protocol/workflow.ts';
import { errorOf, specBlock } from '../../support.ts';

const GOLDEN = specBlock('flamingo-protocol.md', '### 8.6');

/** The §8.6 example as settings. */
function example(): WorkflowSettings {
  const s = defaultWorkflowSettings();
  s.experiment.sample = 'sim_demo';
  s.experiment.saveImageDirectory = 'sim_demo_X7.50_Y14.00';
  s.experiment.comments = 'two-laser z-stack example';
  return s;
}

function expectBadWorkflow(fn: () => unknown, message: RegExp): void {
  const err = errorOf(fn);
  expect(isProtocolError(err, 'bad-workflow'), String(err)).toBe(true);
  expect(err.message).toMatch(message);
}

describe('buildWorkflowText', () => {
  it('reproduces the §8.6 example byte for byte', () => {
    expect(new TextEncoder().encode(GOLDEN).length).toBe(2261);
    const text = buildWorkflowText(example());
    expect(text).toBe(GOLDEN);
    expect(new TextEncoder().encode(text).length).toBe(2261);
    expect(text.endsWith('</Workflow Settings>')).toBe(true);
    expect(text).not.toContain('\r');
    expect(text).toContain('    Sample = sim_demo\n    Number of angles = \n');
    expect(text).toContain('Rotational stage velocity (°/s) = 0\n');
  });

  it('writes the defaults as the example without sample, directory and comments', () => {
    const diff = buildWorkflowText(defaultWorkflowSettings())
      .split('\n')
      .filter((l, i) => l !== GOLDEN.split('\n')[i]);
    expect(diff).toEqual(['    Sample = ', '    Save image directory = ', '    Comments = ']);
  });

  it('writes fixed decimals, null camera values as empty, and no negative zero', () => {
    const s = example();
    s.start = { xMm: 1.23456789, yMm: 5, zMm: -0.0000001, angleDeg: -12.345 };
    s.camera = { exposureUs: null, frameRate: 40.213, aoiWidth: null, aoiHeight: 1024 };
    s.experiment.planeSpacingUm = 0.0000001;
    s.lasers[0] = { index: 1, label: 'Laser 1 1: 405 nm MLE', powerPercent: 3.456, on: true };
    const text = buildWorkflowText(s);
    expect(text).toContain('    X (mm) = 1.234568\n    Y (mm) = 5.000000\n    Z (mm) = 0.000000\n    Angle (degrees) = -12.35\n');
    expect(text).toContain('  <Camera Settings>\n    Exposure time (us) = \n    Frame rate (f/s) = 40.213000\n    AOI width = \n    AOI height = 1024\n');
    expect(text).toContain('Plane spacing (um) = 0.0000001\n');
    expect(text).toContain('Laser 1 1: 405 nm MLE = 3.46 1\n');
  });

  it('writes an empty laser label as Laser <n>', () => {
    const s = example();
    s.lasers = [{ index: 3, label: '', powerPercent: 1, on: true }];
    expect(buildWorkflowText(s)).toContain('    Laser 3 = 1.00 1\n');
  });

  it('refuses what would corrupt the file', () => {
    const nan = example();
    nan.stack.planes = Number.NaN;
    expectBadWorkflow(() => buildWorkflowText(nan), /'Number of planes' must be a finite number, got NaN/);
    const inf = example();
    inf.end.zMm = Infinity;
    expectBadWorkflow(() => buildWorkflowText(inf), /End Position Z \(mm\)' must be a finite number/);
    const newline = example();
    newline.experiment.comments = 'two\nlines';
    expectBadWorkflow(() => buildWorkflowText(newline), /'Comments' must be one line/);
    const label = example();
    label.lasers[1] = { index: 2, label: 'Laser 3 3: 561 nm MLE', powerPercent: 1, on: true };
    expectBadWorkflow(() => buildWorkflowText(label), /must start with 'Laser 2'/);
  });
});

describe('parseWorkflowText', () => {
  it('parses the §8.6 example into its settings', () => {
    expect(parseWorkflowText(GOLDEN)).toEqual(example());
  });

  it('parses UTF-8 bytes and a lone Latin-1 degree sign', () => {
    const utf8 = new TextEncoder().encode(GOLDEN);
    expect(parseWorkflowText(utf8)).toEqual(example());
    const at = utf8.findIndex((b, i) => b === 0xc2 && utf8[i + 1] === 0xb0);
    expect(at).toBeGreaterThan(0);
    const latin1 = Uint8Array.from([...utf8.subarray(0, at), ...utf8.subarray(at + 1)]);
    expect(latin1.length).toBe(2260);
    const s = example();
    s.stack.rotationalVelocityDegS = 0;
    expect(parseWorkflowText(latin1)).toEqual(s);
    const changed = new TextDecoder('latin1').decode(latin1).replace('(\u00B0/s) = 0', '(\u00B0/s) = 12.5');
    const bytes = Uint8Array.from(changed, (c) => c.charCodeAt(0));
    expect(parseWorkflowText(bytes).stack.rotationalVelocityDegS).toBe(12.5);
  });

  it('tolerates CRLF, py2flamingo indentation and blank lines between sections', () => {
    const py = GOLDEN.split('\n')
      .map((l) => l.trim())
      .map((l) => (l.startsWith('<') && !l.includes('Workflow Settings') ? `    ${l}` : l.startsWith('<') ? l : `    ${l}`))
      .join('\r\n')
      .replace(/(<\/[A-Za-z ]+>)\r\n(\s*<[A-Z])/g, '$1\r\n\r\n$2');
    expect(py).toContain('\r\n\r\n    <Camera Settings>');
    expect(parseWorkflowText(`${py}\r\n`)).toEqual(example());
    expect(parseWorkflowText(GOLDEN.replace(/^ +/gm, '\t'))).toEqual(example());
  });

  it('strips thousands separators', () => {
    const text = GOLDEN.replace('Exposure time (us) = 10000', 'Exposure time (us) = 9,002').replace('AOI width = 2048', 'AOI width = 2,048');
    const s = parseWorkflowText(text);
    expect(s.experiment.exposureUs).toBe(9002);
    expect(s.camera.aoiWidth).toBe(2048);
  });

  it('matches lasers by the prefix Laser <n> whatever the rig calls them', () => {
    const text = GOLDEN.replace('Laser 1 1: 405 nm MLE', 'Laser 1 405 nm')
      .replace('Laser 2 2: 488 nm MLE', 'Laser 2 488 nm')
      .replace('Laser 4 4: 640 nm MLE', 'Laser 4 4: 640 nm LBX');
    const s = parseWorkflowText(text);
    expect(s.lasers.map((l) => [l.index, l.label, l.powerPercent, l.on])).toEqual([
      [1, 'Laser 1 405 nm', 0, false],
      [2, 'Laser 2 488 nm', 10, true],
      [3, 'Laser 3 3: 561 nm MLE', 0, false],
      [4, 'Laser 4 4: 640 nm LBX', 5, true],
      [5, 'Laser 5', 0, false],
      [6, 'Laser 6', 0, false],
      [7, 'Laser 7', 0, false],
    ]);
    // The rig's label survives a round trip.
    expect(buildWorkflowText(s)).toBe(text);
  });

  it('keeps only the lasers the file lists, in file order', () => {
    const text = GOLDEN.replace(/ {4}Laser [5-7] = 0\.00 0\n/g, '').replace(
      /( {4}Laser 1 .*\n)( {4}Laser 2 .*\n)/,
      '$2$1',
    );
    expect(parseWorkflowText(text).lasers.map((l) => l.index)).toEqual([2, 1, 3, 4]);
  });

  it('treats a missing Illumination Options section as multiple lasers off', () => {
    const text = GOLDEN.replace(/ {2}<Illumination Options>[\s\S]*<\/Illumination Options>\n/, '');
    expect(text).not.toContain('Illumination Options');
    expect(parseWorkflowText(text)).toEqual(example());
    expect(parseWorkflowText(GOLDEN.replace('lasers on = false', 'lasers on = true')).multipleLasersOn).toBe(true);
  });

  it('fills missing optional keys and empty values with defaults', () => {
    const text = GOLDEN.replace(/ {2}<Camera Settings>[\s\S]*<\/Camera Settings>\n/, '')
      .replace(/ {4}Comments = .*\n/, '')
      .replace(/ {4}Camera [12] capture mode .*\n/g, '')
      .replace(/ {4}Frame rate \(f\/s\) = .*\n/, '    Frame rate (f/s) = \n')
      .replace('Stack option settings 1 = 0', 'Stack option settings 1 = ')
      .replace(/ {4}Angle \(degrees\) = .*\n/g, '')
      .replace(/ {4}LED .*\n/g, '')
      .replace(/ {2}<Illumination Path>[\s\S]*<\/Illumination Path>\n/, '');
    const s = parseWorkflowText(text);
    const d = defaultWorkflowSettings();
    expect(s.camera).toEqual({ exposureUs: null, frameRate: null, aoiWidth: null, aoiHeight: null });
    expect(s.experiment.comments).toBe('');
    expect(s.experiment.frameRate).toBe(d.experiment.frameRate);
    expect(s.stack.camera1CaptureMode).toBe(0);
    expect(s.stack.camera2CaptureMode).toBe(0); // the server's default for a missing label
    expect(s.stack.stackOptionSettings1).toBe(0);
    expect(s.start.angleDeg).toBe(0);
    expect(s.led).toEqual(d.led);
    expect([s.leftPath, s.rightPath]).toEqual([true, false]);
    expect(s.experiment.sample).toBe('sim_demo');
  });

  it('reads an empty stack option as None-like and options case-insensitively', () => {
    expect(parseWorkflowText(GOLDEN.replace('Stack option = ZStack', 'Stack option = ')).stack.stackOption).toBe('');
    expect(parseWorkflowText(GOLDEN.replace('Stack option = ZStack', 'Stack option = tile')).stack.stackOption).toBe('Tile');
  });

  it('reads paths from either token', () => {
    const s = parseWorkflowText(GOLDEN.replace('Right path = OFF 0', 'Right path = 1').replace('Left path = ON 1', 'Left path = OFF'));
    expect([s.leftPath, s.rightPath]).toEqual([false, true]);
  });

  it.each([
    ['a text without the wrapper', (t: string) => t.replace('<Workflow Settings>\n', '').replace('\n</Workflow Settings>', ''), /must start with <Workflow Settings>, but line 1/],
    ['an empty text', () => '\n\n', /Workflow text is empty/],
    ['an unterminated section', (t: string) => t.replace('  </Stack Settings>\n', ''), /<Start Position> on line 46 opens while <Stack Settings> from line 27 is still open \(is <\/Stack Settings> missing\?\)/],
    ['an unterminated wrapper', (t: string) => t.replace('\n</Workflow Settings>', ''), /<Workflow Settings> opened on line 1 is never closed/],
    ['text after the wrapper', (t: string) => `${t}\n<Extra>\n</Extra>`, /continues after <\/Workflow Settings> on line 79/],
    ['a setting outside any section', (t: string) => t.replace('<Workflow Settings>\n', '<Workflow Settings>\n  Sample = x\n'), /'Sample' on line 2 is inside <Workflow Settings> but outside any section/],
    ['a non-number', (t: string) => t.replace('Number of planes = 200', 'Number of planes = two hundred'), /'Number of planes' in <Stack Settings> \(line 30\) has 'two hundred', which is not a number/],
    ['a non-number laser power', (t: string) => t.replace('= 10.00 1', '= ten 1'), /'Laser 2 2: 488 nm MLE' in <Illumination Source> \(line 61\) has 'ten 1', which is not a number/],
    ['a bad laser state', (t: string) => t.replace('= 10.00 1', '= 10.00 on'), /its state must be 0 or 1/],
    ['a non-boolean', (t: string) => t.replace('Save max projection = true', 'Save max projection = yes'), /'Save max projection' .* has 'yes', which is not true or false/],
    ['a bad path', (t: string) => t.replace('Left path = ON 1', 'Left path = maybe'), /'Left path' .* expected 'ON 1' or 'OFF 0'/],
    ['an unknown stack option', (t: string) => t.replace('Stack option = ZStack', 'Stack option = Spiral'), /'Spiral', which is not a known stack option/],
    ['a missing required key', (t: string) => t.replace(/ {4}Z \(mm\) = 18\.500000\n/, ''), /no 'Z \(mm\)' in <End Position>/],
    ['an empty required key', (t: string) => t.replace('Number of planes = 200', 'Number of planes = '), /'Number of planes' .* is empty; it needs a number/],
    ['a bad duration', (t: string) => t.replace('Duration (dd:hh:mm:ss) = 00:00:00:00', 'Duration (dd:hh:mm:ss) = 1 hour'), /'1 hour', which is not dd:hh:mm:ss/],
    ['a laser listed twice', (t: string) => t.replace('Laser 3 3: 561 nm MLE', 'Laser 2 561'), /laser 2 twice/],
    ['a laser out of range', (t: string) => t.replace('Laser 7 =', 'Laser 8 ='), /names laser 8; lasers are numbered 1 to 7/],
    ['a duplicate key', (t: string) => t.replace('Region = ', 'Sample = '), /'Sample' appears twice in <Experiment Settings> \(lines 8 and 11\)/],
    ['a duplicate section', (t: string) => t.replace('End Position', 'Start Position').replace('/End Position', '/Start Position'), /<Start Position> appears twice/],
  ])('rejects %s with a clear bad-workflow error', (_what, edit, message) => {
    expectBadWorkflow(() => parseWorkflowText(edit(GOLDEN)), message);
  });

  it('round-trips varied settings', () => {
    const tile = example();
    tile.stack.stackOption = 'Tile';
    tile.stack.stackOptionSettings1 = 10;
    tile.stack.stackOptionSettings2 = 25;
    tile.end = { xMm: 9.25, yMm: 16.125, zMm: 17.375, angleDeg: 0 };
    tile.rightPath = true;
    tile.multipleLasersOn = true;
    tile.experiment.duration = '00:01:00:00';
    tile.experiment.interval = '00:00:10:00';
    tile.experiment.saveImageData = 'BigTiff';
    tile.camera = { exposureUs: null, frameRate: null, aoiWidth: 1024, aoiHeight: null };
    tile.led = { rgbBoardPercent: 12.5, rgbBoardOn: true, selection: 3, dac: 65534 };

    const snapshot = example();
    snapshot.stack = { ...snapshot.stack, stackOption: 'Snapshot', planes: 1, changeInZMm: 0.01, zVelocityMmS: 0.1, autoUpdate: false };
    snapshot.end = { ...snapshot.start };
    snapshot.lasers = [{ index: 3, label: 'Laser 3 561 nm', powerPercent: 99.99, on: true }];
    snapshot.experiment = { ...snapshot.experiment, sample: 'a = b', comments: 'µ° ünïcode', saveMaxProjection: false, liveViewEnabled: false };

    const cases = [tile, snapshot];
    // Pseudo-random values at the precision the file keeps.
    let seed = 12345;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const q = (n: number, d: number): number => Number(n.toFixed(d));
    for (let k = 0; k < 20; k++) {
      const s = example();
      s.experiment.planeSpacingUm = q(0.1 + rnd() * 10, 3);
      s.experiment.frameRate = q(1 + rnd() * 99, 6);
      s.experiment.exposureUs = Math.round(rnd() * 100000);
      s.stack.planes = 1 + Math.floor(rnd() * 2000);
      s.stack.changeInZMm = q(rnd() * 5, 6);
      s.stack.zVelocityMmS = q(rnd(), 6);
      s.start = { xMm: q(1 + rnd() * 14, 6), yMm: q(5 + rnd() * 20, 6), zMm: q(8 + rnd() * 17, 6), angleDeg: q(-720 + rnd() * 1440, 2) };
      s.end = { xMm: q(1 + rnd() * 14, 6), yMm: q(5 + rnd() * 20, 6), zMm: q(8 + rnd() * 17, 6), angleDeg: s.start.angleDeg };
      s.lasers = s.lasers.map((l) => ({ ...l, powerPercent: q(rnd() * 100, 2), on: rnd() < 0.5 }));
      s.leftPath = rnd() < 0.5;
      s.rightPath = !s.leftPath || rnd() < 0.5;
      cases.push(s);
    }
    for (const s of cases) expect(parseWorkflowText(buildWorkflowText(s))).toEqual(s);
  });
});

describe('timePoints', () => {
  it('is duration ÷ interval + 1, rounded down, and 1 when either is zero', () => {
    const s = example();
    expect(timePoints(s)).toBe(1);
    s.experiment.duration = '00:00:10:00';
    expect(timePoints(s)).toBe(1);
    s.experiment.interval = '00:00:01:00';
    expect(timePoints(s)).toBe(11);
    s.experiment.interval = '00:00:03:00';
    expect(timePoints(s)).toBe(4);
    s.experiment.duration = '01:00:00:00';
    s.experiment.interval = '00:01:00:00';
    expect(timePoints(s)).toBe(25);
  });

  it('reads shorter time values from the seconds up and rejects nonsense', () => {
    expect(parseWorkflowDuration('90')).toBe(90);
    expect(parseWorkflowDuration('01:30')).toBe(90);
    expect(parseWorkflowDuration('1:02:03:04')).toBe(86400 + 7200 + 180 + 4);
    expect(parseWorkflowDuration('')).toBe(0);
    const s = example();
    s.experiment.duration = '10 min';
    expectBadWorkflow(() => timePoints(s), /'10 min' is not dd:hh:mm:ss/);
  });
});
