/**
 * The workflow file (spec §8): the `<Workflow Settings>` text a client sends with
 * CAMERA_WORK_FLOW_START. `buildWorkflowText` writes exactly the layout of the spec's
 * §8.6 example (full labels, 2/4-space indentation, LF, no final newline);
 * `parseWorkflowText` reads that and the variants found on rigs (CRLF, other
 * indentation, `9,002`, a Latin-1 degree sign, rig-specific laser labels, older files
 * without `Illumination Options`).
 *
 * @example
 * const s = defaultWorkflowSettings();
 * s.experiment.sample = 'embryo_3';
 * s.stack.planes = 400;
 * const text = buildWorkflowText(s);          // send after a 12292 record
 * parseWorkflowText(text).stack.planes;       // 400
 */

import { ProtocolError } from './errors.ts';
import { decodeProtocolText, parseSectionedText, tokenizeSectionedText } from './sectioned-text.ts';

export type StackOption =
  | 'None'
  | 'ZStack'
  | 'ZStack Movie'
  | 'ZStack API'
  | 'Tile'
  | 'ZSweep'
  | 'OPT'
  | 'OPT ZStacks'
  | 'Bidirectional'
  | 'Snapshot'
  | '';

/** Every `Stack option` value the server knows (spec §8.3), `''` meaning None. */
export const STACK_OPTIONS: readonly StackOption[] = [
  'None',
  'ZStack',
  'ZStack Movie',
  'ZStack API',
  'Tile',
  'ZSweep',
  'OPT',
  'OPT ZStacks',
  'Bidirectional',
  'Snapshot',
  '',
];

export interface WorkflowPosition {
  xMm: number;
  yMm: number;
  zMm: number;
  angleDeg: number;
}

export interface WorkflowLaser {
  /** 1..7; laser n is channel n − 1 on the left side. */
  index: number;
  /** The full key as written in the file, e.g. `Laser 2 2: 488 nm MLE` (must start with `Laser <index>`). */
  label: string;
  powerPercent: number;
  on: boolean;
}

export interface WorkflowSettings {
  experiment: {
    planeSpacingUm: number;
    frameRate: number;
    exposureUs: number;
    /** `dd:hh:mm:ss` */
    duration: string;
    /** `dd:hh:mm:ss` */
    interval: string;
    sample: string;
    numberOfAngles: string;
    angleStepSize: string;
    region: string;
    saveImageDrive: string;
    saveImageDirectory: string;
    comments: string;
    saveMaxProjection: boolean;
    displayMaxProjection: boolean;
    /** `NotSaved` / `Tiff` / `BigTiff` / `Raw` */
    saveImageData: string;
    saveToSubfolders: boolean;
    liveViewEnabled: boolean;
  };
  /** Null values are written empty (the Experiment values then apply). */
  camera: { exposureUs: number | null; frameRate: number | null; aoiWidth: number | null; aoiHeight: number | null };
  stack: {
    changeInZMm: number;
    planes: number;
    zVelocityMmS: number;
    rotationalVelocityDegS: number;
    autoUpdate: boolean;
    camera1CapturePercentage: number;
    camera1CaptureMode: number;
    camera2CapturePercentage: number;
    camera2CaptureMode: number;
    stackOption: StackOption;
    /** Tile: X overlap in percent. */
    stackOptionSettings1: number;
    /** Tile: Y overlap in percent. */
    stackOptionSettings2: number;
  };
  start: WorkflowPosition;
  end: WorkflowPosition;
  /** Laser 1..7 in file order. */
  lasers: WorkflowLaser[];
  led: { rgbBoardPercent: number; rgbBoardOn: boolean; selection: number; dac: number };
  leftPath: boolean;
  rightPath: boolean;
  multipleLasersOn: boolean;
}

// --- Labels (spec §8.2, §8.6) -------------------------------------------------------

const WRAPPER = 'Workflow Settings';
const SEC = {
  experiment: 'Experiment Settings',
  camera: 'Camera Settings',
  stack: 'Stack Settings',
  start: 'Start Position',
  end: 'End Position',
  source: 'Illumination Source',
  path: 'Illumination Path',
  options: 'Illumination Options',
} as const;

const CAMERA_1_MODE = 'Camera 1 capture mode (0 full, 1 from front, 2 from back, 3 none)';
const CAMERA_2_MODE = 'Camera 2 capture mode (0 full, 1 from front, 2 from back, 3 none)';
const ROTATIONAL_VELOCITY = 'Rotational stage velocity (°/s)';
/** Matched by prefix: one historical file has a lone Latin-1 degree sign (spec §8.1). */
const ROTATIONAL_VELOCITY_PREFIX = 'Rotational stage velocity';
const MULTIPLE_LASERS = 'Run stack with multiple lasers on';
const LASER_KEY = /^Laser\s+(\d+)(?=\s|$)/;

const DEFAULT_LASER_LABELS: readonly string[] = [
  'Laser 1 1: 405 nm MLE',
  'Laser 2 2: 488 nm MLE',
  'Laser 3 3: 561 nm MLE',
  'Laser 4 4: 640 nm MLE',
  'Laser 5',
  'Laser 6',
  'Laser 7',
];

/**
 * A valid two-laser ZStack on the left sheet with the §8.6 example's values (2.5 µm,
 * 40 f/s, 200 planes over 0.5 mm at X 7.5, Y 14, Z 18 → 18.5; lasers 2 and 4 on), but
 * with empty sample, directory and comments. Also the source of defaults for keys a
 * parsed file leaves out.
 */
export function defaultWorkflowSettings(): WorkflowSettings {
  return {
    experiment: {
      planeSpacingUm: 2.5,
      frameRate: 40,
      exposureUs: 10000,
      duration: '00:00:00:00',
      interval: '00:00:00:00',
      sample: '',
      numberOfAngles: '',
      angleStepSize: '',
      region: '',
      saveImageDrive: '/media/deploy/ctlsm1',
      saveImageDirectory: '',
      comments: '',
      saveMaxProjection: true,
      displayMaxProjection: false,
      saveImageData: 'Raw',
      saveToSubfolders: false,
      liveViewEnabled: true,
    },
    camera: { exposureUs: 10000, frameRate: 40, aoiWidth: 2048, aoiHeight: 2048 },
    stack: {
      changeInZMm: 0.5,
      planes: 200,
      zVelocityMmS: 0.1,
      rotationalVelocityDegS: 0,
      autoUpdate: true,
      camera1CapturePercentage: 100,
      camera1CaptureMode: 0,
      camera2CapturePercentage: 100,
      camera2CaptureMode: 3,
      stackOption: 'ZStack',
      stackOptionSettings1: 0,
      stackOptionSettings2: 0,
    },
    start: { xMm: 7.5, yMm: 14, zMm: 18, angleDeg: 0 },
    end: { xMm: 7.5, yMm: 14, zMm: 18.5, angleDeg: 0 },
    lasers: DEFAULT_LASER_LABELS.map((label, i) => ({
      index: i + 1,
      label,
      powerPercent: i === 1 ? 10 : i === 3 ? 5 : 0,
      on: i === 1 || i === 3,
    })),
    led: { rgbBoardPercent: 0, rgbBoardOn: false, selection: 0, dac: 42000 },
    leftPath: true,
    rightPath: false,
    multipleLasersOn: false,
  };
}

// --- Building --------------------------------------------------------------------------

function fail(message: string): never {
  throw new ProtocolError('bad-workflow', message);
}

function finite(n: number, key: string): number {
  if (typeof n !== 'number' || !Number.isFinite(n)) fail(`Workflow value for '${key}' must be a finite number, got ${String(n)}.`);
  return n;
}

/** A plain decimal (never exponent notation), as short as JavaScript writes it. */
function plain(n: number, key: string): string {
  finite(n, key);
  const s = String(n);
  if (!/e/i.test(s)) return s;
  return n.toFixed(20).replace(/\.?0+$/, '');
}

/** Fixed decimals, with a negative zero written as zero. */
function fixed(n: number, digits: number, key: string): string {
  const s = finite(n, key).toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

function text(s: string, key: string): string {
  if (typeof s !== 'string') fail(`Workflow value for '${key}' must be text, got ${String(s)}.`);
  if (/[\r\n]/.test(s)) fail(`Workflow value for '${key}' must be one line, but it contains a line break.`);
  return s;
}

function bool(b: boolean): string {
  return b ? 'true' : 'false';
}

function onOff(b: boolean): string {
  return b ? '1' : '0';
}

/**
 * Writes the workflow text: full labels, the wrapper at column 0, sections indented by 2
 * and keys by 4, LF endings, no final newline, `key = ` (one trailing space) for empty
 * values. X/Y/Z are written with 6 decimals, angles with 2, frame rates, the Z range
 * and the Z velocity with 6, laser and LED power as `<percent with 2 decimals> <0|1>`.
 * Throws ProtocolError('bad-workflow') for a non-finite number, a value with a line
 * break or a laser label that does not start with `Laser <index>`.
 */
export function buildWorkflowText(s: WorkflowSettings): string {
  const lines: string[] = [`<${WRAPPER}>`];
  const section = (name: string, entries: Array<[string, string]>): void => {
    lines.push(`  <${name}>`);
    for (const [k, v] of entries) lines.push(`    ${k} = ${v}`);
    lines.push(`  </${name}>`);
  };
  const e = s.experiment;
  section(SEC.experiment, [
    ['Plane spacing (um)', plain(e.planeSpacingUm, 'Plane spacing (um)')],
    ['Frame rate (f/s)', fixed(e.frameRate, 6, 'Frame rate (f/s)')],
    ['Exposure time (us)', plain(e.exposureUs, 'Exposure time (us)')],
    ['Duration (dd:hh:mm:ss)', text(e.duration, 'Duration (dd:hh:mm:ss)')],
    ['Interval (dd:hh:mm:ss)', text(e.interval, 'Interval (dd:hh:mm:ss)')],
    ['Sample', text(e.sample, 'Sample')],
    ['Number of angles', text(e.numberOfAngles, 'Number of angles')],
    ['Angle step size', text(e.angleStepSize, 'Angle step size')],
    ['Region', text(e.region, 'Region')],
    ['Save image drive', text(e.saveImageDrive, 'Save image drive')],
    ['Save image directory', text(e.saveImageDirectory, 'Save image directory')],
    ['Comments', text(e.comments, 'Comments')],
    ['Save max projection', bool(e.saveMaxProjection)],
    ['Display max projection', bool(e.displayMaxProjection)],
    ['Save image data', text(e.saveImageData, 'Save image data')],
    ['Save to subfolders', bool(e.saveToSubfolders)],
    ['Work flow live view enabled', bool(e.liveViewEnabled)],
  ]);
  const c = s.camera;
  section(SEC.camera, [
    ['Exposure time (us)', c.exposureUs === null ? '' : plain(c.exposureUs, 'Camera exposure time (us)')],
    ['Frame rate (f/s)', c.frameRate === null ? '' : fixed(c.frameRate, 6, 'Camera frame rate (f/s)')],
    ['AOI width', c.aoiWidth === null ? '' : plain(c.aoiWidth, 'AOI width')],
    ['AOI height', c.aoiHeight === null ? '' : plain(c.aoiHeight, 'AOI height')],
  ]);
  const st = s.stack;
  section(SEC.stack, [
    ['Stack index', ''],
    ['Change in Z axis (mm)', fixed(st.changeInZMm, 6, 'Change in Z axis (mm)')],
    ['Number of planes', plain(st.planes, 'Number of planes')],
    ['Number of planes saved', ''],
    ['Z stage velocity (mm/s)', fixed(st.zVelocityMmS, 6, 'Z stage velocity (mm/s)')],
    [ROTATIONAL_VELOCITY, plain(st.rotationalVelocityDegS, ROTATIONAL_VELOCITY)],
    ['Auto update stack calculations', bool(st.autoUpdate)],
    ['Date time stamp', ''],
    ['Stack file name', ''],
    ['Camera 1 capture percentage', plain(st.camera1CapturePercentage, 'Camera 1 capture percentage')],
    [CAMERA_1_MODE, plain(st.camera1CaptureMode, CAMERA_1_MODE)],
    ['Camera 1 capture range', ''],
    ['Camera 2 capture percentage', plain(st.camera2CapturePercentage, 'Camera 2 capture percentage')],
    [CAMERA_2_MODE, plain(st.camera2CaptureMode, CAMERA_2_MODE)],
    ['Camera 2 capture range', ''],
    ['Stack option', text(st.stackOption, 'Stack option')],
    ['Stack option settings 1', plain(st.stackOptionSettings1, 'Stack option settings 1')],
    ['Stack option settings 2', plain(st.stackOptionSettings2, 'Stack option settings 2')],
  ]);
  const position = (name: string, p: WorkflowPosition): void =>
    section(name, [
      ['X (mm)', fixed(p.xMm, 6, `${name} X (mm)`)],
      ['Y (mm)', fixed(p.yMm, 6, `${name} Y (mm)`)],
      ['Z (mm)', fixed(p.zMm, 6, `${name} Z (mm)`)],
      ['Angle (degrees)', fixed(p.angleDeg, 2, `${name} Angle (degrees)`)],
    ]);
  position(SEC.start, s.start);
  position(SEC.end, s.end);
  const source: Array<[string, string]> = s.lasers.map((l) => {
    const label = text(l.label, `Laser ${l.index}`) || `Laser ${l.index}`;
    const m = LASER_KEY.exec(label);
    if (!m || Number(m[1]) !== l.index) fail(`Laser label '${label}' must start with 'Laser ${l.index}'.`);
    return [label, `${fixed(l.powerPercent, 2, label)} ${onOff(l.on)}`];
  });
  source.push(
    ['LED_RGB_Board', `${fixed(s.led.rgbBoardPercent, 2, 'LED_RGB_Board')} ${onOff(s.led.rgbBoardOn)}`],
    ['LED selection', `${plain(s.led.selection, 'LED selection')} 0`],
    ['LED DAC', `${plain(s.led.dac, 'LED DAC')} 0`],
  );
  section(SEC.source, source);
  section(SEC.path, [
    ['Left path', s.leftPath ? 'ON 1' : 'OFF 0'],
    ['Right path', s.rightPath ? 'ON 1' : 'OFF 0'],
  ]);
  section(SEC.options, [[MULTIPLE_LASERS, bool(s.multipleLasersOn)]]);
  lines.push(`</${WRAPPER}>`);
  return lines.join('\n');
}

// --- Parsing ---------------------------------------------------------------------------

interface Entry {
  key: string;
  value: string;
  line: number;
}

/** One section's entries, looked up by whole key (or key prefix where the spec says so). */
class SectionReader {
  readonly entries: Entry[] = [];
  private readonly byKey = new Map<string, Entry>();

  constructor(
    readonly name: string,
    readonly line: number,
  ) {}

  add(entry: Entry): void {
    const earlier = this.byKey.get(entry.key);
    if (earlier) {
      fail(`Workflow key '${entry.key}' appears twice in <${this.name}> (lines ${earlier.line} and ${entry.line}).`);
    }
    this.byKey.set(entry.key, entry);
    this.entries.push(entry);
  }

  get(key: string): Entry | undefined {
    return this.byKey.get(key);
  }

  getByPrefix(prefix: string): Entry | undefined {
    return this.entries.find((e) => e.key.startsWith(prefix));
  }
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A plain decimal; commas (vendor thousands separators, spec §8.1) are dropped first. */
function parseNumberText(raw: string): number | null {
  const s = raw.replace(/,/g, '');
  return NUMBER.test(s) ? Number(s) : null;
}

function where(sec: SectionReader | undefined, e: Entry): string {
  return `'${e.key}' in <${sec?.name ?? '?'}> (line ${e.line})`;
}

function numberOf(sec: SectionReader | undefined, e: Entry, token = e.value): number {
  const n = parseNumberText(token);
  if (n === null) fail(`Workflow key ${where(sec, e)} has '${e.value}', which is not a number.`);
  return n;
}

function num(sec: SectionReader | undefined, key: string, fallback: number): number {
  const e = sec?.get(key);
  return !e || e.value === '' ? fallback : numberOf(sec, e);
}

function requiredNum(sec: SectionReader | undefined, key: string, sectionName: string): number {
  const e = sec?.get(key);
  if (!e) fail(`Workflow has no '${key}' in <${sectionName}>.`);
  if (e.value === '') fail(`Workflow key ${where(sec, e)} is empty; it needs a number.`);
  return numberOf(sec, e);
}

function nullableNum(sec: SectionReader | undefined, key: string): number | null {
  const e = sec?.get(key);
  return !e || e.value === '' ? null : numberOf(sec, e);
}

function str(sec: SectionReader | undefined, key: string, fallback: string): string {
  const e = sec?.get(key);
  return e ? e.value : fallback;
}

function flag(sec: SectionReader | undefined, key: string, fallback: boolean): boolean {
  const e = sec?.get(key);
  if (!e || e.value === '') return fallback;
  const v = e.value.toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  return fail(`Workflow key ${where(sec, e)} has '${e.value}', which is not true or false.`);
}

function duration(sec: SectionReader | undefined, key: string, fallback: string): string {
  const e = sec?.get(key);
  if (!e || e.value === '') return fallback;
  if (!/^\d+(?::\d+){0,3}$/.test(e.value)) fail(`Workflow key ${where(sec, e)} has '${e.value}', which is not dd:hh:mm:ss.`);
  return e.value;
}

/** `<number> <0|1>` as in `10.00 1`; a missing state token reads as off. */
function powerPair(sec: SectionReader | undefined, e: Entry): { value: number; on: boolean } {
  if (e.value === '') return { value: 0, on: false };
  const [first = '', second, ...rest] = e.value.split(/\s+/);
  if (rest.length > 0) fail(`Workflow key ${where(sec, e)} has '${e.value}'; expected '<number> <0 or 1>'.`);
  const value = numberOf(sec, e, first);
  if (second === undefined) return { value, on: false };
  if (second !== '0' && second !== '1') fail(`Workflow key ${where(sec, e)} has '${e.value}'; its state must be 0 or 1.`);
  return { value, on: second === '1' };
}

function firstNumber(sec: SectionReader | undefined, key: string, fallback: number): number {
  const e = sec?.get(key);
  if (!e || e.value === '') return fallback;
  return numberOf(sec, e, e.value.split(/\s+/)[0] ?? '');
}

function path(sec: SectionReader | undefined, key: string, fallback: boolean): boolean {
  const e = sec?.get(key);
  if (!e || e.value === '') return fallback;
  const first = (e.value.split(/\s+/)[0] ?? '').toUpperCase();
  if (first === 'ON' || first === '1') return true;
  if (first === 'OFF' || first === '0') return false;
  return fail(`Workflow key ${where(sec, e)} has '${e.value}'; expected 'ON 1' or 'OFF 0'.`);
}

function stackOption(sec: SectionReader | undefined, fallback: StackOption): StackOption {
  const e = sec?.get('Stack option');
  if (!e) return fallback;
  const found = STACK_OPTIONS.find((o) => o.toLowerCase() === e.value.toLowerCase());
  if (found === undefined) {
    fail(`Workflow key ${where(sec, e)} has '${e.value}', which is not a known stack option (${STACK_OPTIONS.filter((o) => o).join(', ')}).`);
  }
  return found;
}

function position(sec: SectionReader | undefined, name: string, fallbackAngle: number): WorkflowPosition {
  return {
    xMm: requiredNum(sec, 'X (mm)', name),
    yMm: requiredNum(sec, 'Y (mm)', name),
    zMm: requiredNum(sec, 'Z (mm)', name),
    angleDeg: num(sec, 'Angle (degrees)', fallbackAngle),
  };
}

/** Checks the wrapper and groups the entries by section, with line numbers. */
function readSections(text: string): Map<string, SectionReader> {
  // Structure first: balanced, terminated tags, at most one level of nesting.
  parseSectionedText(text, 'bad-workflow');
  const tokens = tokenizeSectionedText(text, 'bad-workflow');
  const first = tokens[0];
  if (!first) fail('Workflow text is empty; it must start with <Workflow Settings>.');
  if (first.kind !== 'open' || first.name !== WRAPPER) {
    fail(`Workflow text must start with <${WRAPPER}>, but line ${first.line} is not that tag.`);
  }
  const sections = new Map<string, SectionReader>();
  let current: SectionReader | null = null;
  for (let i = 1; i < tokens.length; i++) {
    const tok = tokens[i];
    if (!tok) continue;
    if (tok.kind === 'open') {
      if (tok.name === WRAPPER) fail(`Workflow text opens <${WRAPPER}> again on line ${tok.line}.`);
      const earlier = sections.get(tok.name);
      if (earlier) fail(`Workflow section <${tok.name}> appears twice (lines ${earlier.line} and ${tok.line}).`);
      current = new SectionReader(tok.name, tok.line);
      sections.set(tok.name, current);
    } else if (tok.kind === 'close') {
      if (tok.name === WRAPPER) {
        const after = tokens[i + 1];
        if (after) fail(`Workflow text continues after </${WRAPPER}> on line ${after.line}.`);
        return sections;
      }
      current = null;
    } else {
      if (!current) fail(`Setting '${tok.key}' on line ${tok.line} is inside <${WRAPPER}> but outside any section.`);
      current.add({ key: tok.key, value: tok.value, line: tok.line });
    }
  }
  // parseSectionedText already reports an unclosed wrapper; this is a safety net.
  return fail(`Workflow text never closes <${WRAPPER}>.`);
}

function readLasers(sec: SectionReader | undefined): WorkflowLaser[] {
  const lasers: WorkflowLaser[] = [];
  for (const e of sec?.entries ?? []) {
    const m = LASER_KEY.exec(e.key);
    if (!m) continue;
    const index = Number(m[1]);
    if (!(index >= 1 && index <= 7)) fail(`Workflow key ${where(sec, e)} names laser ${index}; lasers are numbered 1 to 7.`);
    const earlier = lasers.find((l) => l.index === index);
    if (earlier) fail(`Workflow lists laser ${index} twice ('${earlier.label}' and '${e.key}').`);
    const { value, on } = powerPair(sec, e);
    lasers.push({ index, label: e.key, powerPercent: value, on });
  }
  return lasers;
}

/**
 * Parses a workflow text (or its bytes). Keys are matched whole, except the laser keys
 * (prefix `Laser <n>`) and the rotational velocity (prefix, for the Latin-1 degree
 * sign). Start and End X/Y/Z and `Number of planes` are required; other missing or
 * empty keys take `defaultWorkflowSettings()` values, except the camera capture modes,
 * which default to 0 as on the server (spec §8.2), and a missing `Illumination Options`
 * section, which means `multipleLasersOn = false`. Lasers are those the file lists.
 * Throws ProtocolError('bad-workflow') naming the problem.
 */
export function parseWorkflowText(input: string | Uint8Array): WorkflowSettings {
  const source = typeof input === 'string' ? input : decodeProtocolText(input);
  const sections = readSections(source);
  const d = defaultWorkflowSettings();
  const ex = sections.get(SEC.experiment);
  const cam = sections.get(SEC.camera);
  const st = sections.get(SEC.stack);
  const src = sections.get(SEC.source);
  const pth = sections.get(SEC.path);
  const opt = sections.get(SEC.options);
  const rot = st?.getByPrefix(ROTATIONAL_VELOCITY_PREFIX);
  const ledBoard = src?.get('LED_RGB_Board');
  const ledPair = ledBoard ? powerPair(src, ledBoard) : { value: d.led.rgbBoardPercent, on: d.led.rgbBoardOn };
  const start = position(sections.get(SEC.start), SEC.start, d.start.angleDeg);
  return {
    experiment: {
      planeSpacingUm: num(ex, 'Plane spacing (um)', d.experiment.planeSpacingUm),
      frameRate: num(ex, 'Frame rate (f/s)', d.experiment.frameRate),
      exposureUs: num(ex, 'Exposure time (us)', d.experiment.exposureUs),
      duration: duration(ex, 'Duration (dd:hh:mm:ss)', d.experiment.duration),
      interval: duration(ex, 'Interval (dd:hh:mm:ss)', d.experiment.interval),
      sample: str(ex, 'Sample', d.experiment.sample),
      numberOfAngles: str(ex, 'Number of angles', d.experiment.numberOfAngles),
      angleStepSize: str(ex, 'Angle step size', d.experiment.angleStepSize),
      region: str(ex, 'Region', d.experiment.region),
      saveImageDrive: str(ex, 'Save image drive', d.experiment.saveImageDrive),
      saveImageDirectory: str(ex, 'Save image directory', d.experiment.saveImageDirectory),
      comments: str(ex, 'Comments', d.experiment.comments),
      saveMaxProjection: flag(ex, 'Save max projection', d.experiment.saveMaxProjection),
      displayMaxProjection: flag(ex, 'Display max projection', d.experiment.displayMaxProjection),
      saveImageData: str(ex, 'Save image data', d.experiment.saveImageData),
      saveToSubfolders: flag(ex, 'Save to subfolders', d.experiment.saveToSubfolders),
      liveViewEnabled: flag(ex, 'Work flow live view enabled', d.experiment.liveViewEnabled),
    },
    camera: {
      exposureUs: nullableNum(cam, 'Exposure time (us)'),
      frameRate: nullableNum(cam, 'Frame rate (f/s)'),
      aoiWidth: nullableNum(cam, 'AOI width'),
      aoiHeight: nullableNum(cam, 'AOI height'),
    },
    stack: {
      changeInZMm: num(st, 'Change in Z axis (mm)', d.stack.changeInZMm),
      planes: requiredNum(st, 'Number of planes', SEC.stack),
      zVelocityMmS: num(st, 'Z stage velocity (mm/s)', d.stack.zVelocityMmS),
      rotationalVelocityDegS: !rot || rot.value === '' ? d.stack.rotationalVelocityDegS : numberOf(st, rot),
      autoUpdate: flag(st, 'Auto update stack calculations', d.stack.autoUpdate),
      camera1CapturePercentage: num(st, 'Camera 1 capture percentage', d.stack.camera1CapturePercentage),
      camera1CaptureMode: num(st, CAMERA_1_MODE, 0),
      camera2CapturePercentage: num(st, 'Camera 2 capture percentage', d.stack.camera2CapturePercentage),
      camera2CaptureMode: num(st, CAMERA_2_MODE, 0),
      stackOption: stackOption(st, d.stack.stackOption),
      stackOptionSettings1: num(st, 'Stack option settings 1', 0),
      stackOptionSettings2: num(st, 'Stack option settings 2', 0),
    },
    start,
    // A missing End angle means the start's angle (the server rotates only for OPT).
    end: position(sections.get(SEC.end), SEC.end, start.angleDeg),
    lasers: readLasers(src),
    led: {
      rgbBoardPercent: ledPair.value,
      rgbBoardOn: ledPair.on,
      selection: firstNumber(src, 'LED selection', d.led.selection),
      dac: firstNumber(src, 'LED DAC', d.led.dac),
    },
    leftPath: path(pth, 'Left path', d.leftPath),
    rightPath: path(pth, 'Right path', d.rightPath),
    multipleLasersOn: flag(opt, MULTIPLE_LASERS, false),
  };
}

/** Seconds in a `dd:hh:mm:ss` value (fewer fields count from the seconds up). */
export function parseWorkflowDuration(value: string): number {
  const v = value.trim();
  if (v === '') return 0;
  if (!/^\d+(?::\d+){0,3}$/.test(v)) fail(`Time value '${value}' is not dd:hh:mm:ss.`);
  const parts = v.split(':').map(Number).reverse();
  const scale = [1, 60, 3600, 86400];
  return parts.reduce((sum, p, i) => sum + p * (scale[i] ?? 0), 0);
}

/** Time points = duration ÷ interval + 1 (rounded down); 1 when either is zero (spec §8.2). */
export function timePoints(s: WorkflowSettings): number {
  const duration = parseWorkflowDuration(s.experiment.duration);
  const interval = parseWorkflowDuration(s.experiment.interval);
  if (duration === 0 || interval === 0) return 1;
  return Math.floor(duration / interval) + 1;
}
