/**
 * The ScopeSettings text (spec §9): what the server sends after a 4105 request and
 * stores on a 4104. Top-level `<Section>`s of `key = value` lines, no wrapper. This
 * module reads the keys a client needs (name, address, optics → pixel size, stage
 * limits, home, unload, velocities, filter assignments, LED) and writes the text back.
 *
 * @example
 * const text = defaultScopeSettingsText({ name: 'simscope', port: 53717 }); // ≥ 2000 bytes
 * const s = parseScopeSettings(text);
 * s.pixelSizeUm;         // 1.04754… (6.5 µm ÷ (6.205 × 200 / 200))
 * s.hardLimits.z.max;    // 25
 */

import { ProtocolError } from './errors.ts';
import { decodeProtocolText, parseSectionedText } from './sectioned-text.ts';
import type { TextSection } from './sectioned-text.ts';

export interface AxisRangeLike {
  min: number;
  max: number;
}

/** Same shape as `StageLimits` in connector.ts: X/Y/Z in mm, R in degrees. */
export interface StageLimitsLike {
  x: AxisRangeLike;
  y: AxisRangeLike;
  z: AxisRangeLike;
  r: AxisRangeLike;
}

/** One value per stage axis: X/Y/Z in mm (or mm/s), R in degrees (or °/s). */
export interface XYZR {
  x: number;
  y: number;
  z: number;
  r: number;
}

export interface ScopeSettings {
  /** Every section as received, in order. */
  sections: TextSection[];
  microscopeName: string;
  /** From `Microscope address = <host> <port>`; null when absent, empty or not in that form. */
  address: { host: string; port: number } | null;
  /** System magnification (`Objective lens magnification`). */
  magnification: number;
  /** `Tube lens design focal length (mm)`, 200 when absent. */
  tubeLensMm: number;
  /** `Camera` / `Physical pixel size (µm)`, 6.5 when absent. */
  sensorPixelUm: number;
  /** Pixel size at the sample: sensorPixelUm ÷ (magnification × tubeLensMm ÷ 200) (spec §7.5). */
  pixelSizeUm: number;
  hardLimits: StageLimitsLike;
  softLimits: StageLimitsLike;
  home: XYZR;
  /** Sample-unload position; R is 0 when the file has no `Unload r-axis`. */
  unload: XYZR;
  /** Default velocities: mm/s for X/Y/Z, °/s for R. */
  velocity: XYZR;
  /** `Filter wheel position assignments`: source (`Laser 1`, `LED`, …) → filter slot. Empty when absent. */
  filterAssignments: Record<string, number>;
  /** `LED selection (0 red, 1 green, 2 blue, 3 white)`, 0 when absent. */
  ledSelection: number;
}

const SENSOR_PIXEL_UM = 6.5;
const TUBE_LENS_REFERENCE_MM = 200;
const AXES = ['x', 'y', 'z', 'r'] as const;

function fail(message: string): never {
  throw new ProtocolError('bad-settings', message);
}

function findSection(sections: TextSection[], name: string): TextSection | undefined {
  return sections.find((s) => s.name === name);
}

function findValue(section: TextSection | undefined, match: (key: string) => boolean): string | undefined {
  return section?.entries.find(([k]) => match(k))?.[1];
}

function toNumber(raw: string, key: string, sectionName: string): number {
  const s = raw.replace(/,/g, '');
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(s)) {
    fail(`ScopeSettings key '${key}' in <${sectionName}> has '${raw}', which is not a number.`);
  }
  return Number(s);
}

function required(sections: TextSection[], sectionName: string, key: string): number {
  const section = findSection(sections, sectionName);
  const value = findValue(section, (k) => k === key);
  if (value === undefined || value === '') fail(`ScopeSettings has no '${key}' in <${sectionName}>.`);
  return toNumber(value, key, sectionName);
}

function optional(sections: TextSection[], sectionName: string, match: (key: string) => boolean, label: string, fallback: number): number {
  const section = findSection(sections, sectionName);
  const value = findValue(section, match);
  if (value === undefined || value === '') return fallback;
  return toNumber(value.split(/\s+/)[0] ?? '', label, sectionName);
}

function limits(sections: TextSection[], kind: 'Hard' | 'Soft'): StageLimitsLike {
  const range = (axis: (typeof AXES)[number]): AxisRangeLike => ({
    min: required(sections, 'Stage limits', `${kind} limit min ${axis}-axis`),
    max: required(sections, 'Stage limits', `${kind} limit max ${axis}-axis`),
  });
  return { x: range('x'), y: range('y'), z: range('z'), r: range('r') };
}

function perAxis(sections: TextSection[], prefix: string, optionalR = false): XYZR {
  const get = (axis: (typeof AXES)[number]): number =>
    axis === 'r' && optionalR
      ? optional(sections, 'Stage limits', (k) => k === `${prefix} r-axis`, `${prefix} r-axis`, 0)
      : required(sections, 'Stage limits', `${prefix} ${axis}-axis`);
  return { x: get('x'), y: get('y'), z: get('z'), r: get('r') };
}

function parseAddress(value: string | undefined): { host: string; port: number } | null {
  const m = /^(\S+)\s+(\d{1,5})$/.exec(value ?? '');
  if (!m) return null;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { host: m[1] ?? '', port } : null;
}

/**
 * Parses a ScopeSettings text (or its bytes: UTF-8, with stray Latin-1 bytes tolerated).
 * Required: `Type` / `Microscope name` and `Objective lens magnification`, and in
 * `Stage limits` the hard and soft limits, Home, Unload X/Y/Z and Default velocity
 * for every axis. Throws ProtocolError('bad-settings') naming the missing key or the
 * bad value.
 */
export function parseScopeSettings(text: string | Uint8Array): ScopeSettings {
  const source = typeof text === 'string' ? text : decodeProtocolText(text);
  const sections = parseSectionedText(source, 'bad-settings');
  if (sections.length === 0) fail('ScopeSettings text has no sections.');
  const type = findSection(sections, 'Type');
  const microscopeName = findValue(type, (k) => k === 'Microscope name');
  if (microscopeName === undefined || microscopeName === '') fail(`ScopeSettings has no 'Microscope name' in <Type>.`);
  const magnification = required(sections, 'Type', 'Objective lens magnification');
  const tubeLensMm = optional(sections, 'Type', (k) => k === 'Tube lens design focal length (mm)', 'Tube lens design focal length (mm)', TUBE_LENS_REFERENCE_MM);
  const sensorPixelUm = optional(sections, 'Camera', (k) => k.startsWith('Physical pixel size'), 'Physical pixel size (µm)', SENSOR_PIXEL_UM);
  if (!(magnification > 0)) fail(`ScopeSettings 'Objective lens magnification' must be positive, got ${magnification}.`);
  if (!(tubeLensMm > 0)) fail(`ScopeSettings 'Tube lens design focal length (mm)' must be positive, got ${tubeLensMm}.`);
  if (!(sensorPixelUm > 0)) fail(`ScopeSettings 'Physical pixel size (µm)' must be positive, got ${sensorPixelUm}.`);

  const assignments = findSection(sections, 'Filter wheel position assignments');
  const filterAssignments: Record<string, number> = {};
  for (const [key, value] of assignments?.entries ?? []) {
    if (value === '') continue;
    filterAssignments[key] = toNumber(value.split(/\s+/)[0] ?? '', key, 'Filter wheel position assignments');
  }

  return {
    sections,
    microscopeName,
    address: parseAddress(findValue(type, (k) => k === 'Microscope address')),
    magnification,
    tubeLensMm,
    sensorPixelUm,
    pixelSizeUm: sensorPixelUm / ((magnification * tubeLensMm) / TUBE_LENS_REFERENCE_MM),
    hardLimits: limits(sections, 'Hard'),
    softLimits: limits(sections, 'Soft'),
    home: perAxis(sections, 'Home'),
    unload: perAxis(sections, 'Unload', true),
    velocity: perAxis(sections, 'Default velocity'),
    filterAssignments,
    ledSelection: optional(sections, 'LED settings', (k) => k.startsWith('LED selection'), 'LED selection', 0),
  };
}

/**
 * Writes sections as ScopeSettings text: `<Name>`, keys indented by 2 spaces as
 * `key = value` (`key = ` when empty), `</Name>`, LF endings, no final newline.
 * Throws ProtocolError('bad-settings') for a name, key or value with a line break.
 */
export function buildScopeSettingsText(sections: TextSection[]): string {
  const lines: string[] = [];
  const oneLine = (s: string, what: string): string => {
    if (/[\r\n]/.test(s)) fail(`ScopeSettings ${what} '${s.replace(/[\r\n]+/g, ' ')}' contains a line break.`);
    return s;
  };
  for (const section of sections) {
    const name = oneLine(section.name, 'section name');
    if (name === '' || /[<>]/.test(name)) fail(`ScopeSettings section name '${name}' must be non-empty without '<' or '>'.`);
    lines.push(`<${name}>`);
    for (const [key, value] of section.entries) {
      if (oneLine(key, 'key') === '' || key.includes('=')) fail(`ScopeSettings key '${key}' in <${name}> must be non-empty without '='.`);
      lines.push(`  ${key} = ${oneLine(value, `value of '${key}'`)}`);
    }
    lines.push(`</${name}>`);
  }
  return lines.join('\n');
}

/** The §9.4 example's sections, with the `Type` name and address filled in. */
function defaultSections(name: string, host: string, port: number): TextSection[] {
  const filterEncoder: Array<[string, string]> = [];
  const counts = ['1780 7', '2300 6', '2850 5', '3333 4', '1230 3', '5 2', '6 1', '7 0'];
  const descriptions = ['450/50', '525/45', '600/50', '670LP', 'open', 'empty 6', 'empty 7', 'empty 8'];
  counts.forEach((v, i) => filterEncoder.push([`Filter wheel position ${i + 1}`, v]));
  descriptions.forEach((v, i) => filterEncoder.push([`Filter wheel description ${i + 1}`, v]));

  const stage: Array<[string, string]> = [];
  const hard = { x: [1, 15], y: [5, 25], z: [8, 25], r: [-720, 720] } as const;
  const soft = { x: [1, 15], y: [5, 25], z: [11, 25], r: [-720, 720] } as const;
  const f3 = (n: number): string => n.toFixed(3);
  for (const [kind, set] of [['Hard', hard], ['Soft', soft]] as const) {
    for (const a of AXES) stage.push([`${kind} limit max ${a}-axis`, f3(set[a][1])]);
    for (const a of AXES) stage.push([`${kind} limit min ${a}-axis`, f3(set[a][0])]);
  }
  const home = { x: 8, y: 14, z: 19, r: 0 };
  const unload = { x: 1, y: 5, z: 11, r: 0 };
  const velocity = { x: 1, y: 1, z: 1, r: 50 };
  for (const a of AXES) stage.push([`Home ${a}-axis`, f3(home[a])]);
  for (const a of AXES) stage.push([`Unload ${a}-axis`, f3(unload[a])]);
  for (const a of AXES) stage.push([`Default velocity ${a}-axis`, f3(velocity[a])]);

  return [
    { name: 'Filter wheel encoder counts', entries: filterEncoder },
    {
      name: 'Filter wheel position assignments',
      entries: [
        ['Laser 1', '0'],
        ['Laser 2', '1'],
        ['Laser 3', '2'],
        ['Laser 4', '3'],
        ['Laser 5', '0'],
        ['Laser 6', '0'],
        ['Laser 7', '0'],
        ['LED', '4'],
      ],
    },
    {
      name: 'Illumination settings',
      entries: [
        ['Offset left x-axis', '1400'],
        ['Offset left y-axis', '-1'],
        ['Offset right x-axis', '2300'],
        ['Offset right y-axis', '-1'],
        ['Amplitude left x-axis', '100'],
        ['Amplitude left y-axis', '-1'],
        ['Amplitude right x-axis', '100'],
        ['Amplitude right y-axis', '-1'],
        ['Alignment center x-axis', '2000'],
        ['Alignment center y-axis', '-1'],
        ['Sample scan frequency (Hz)', '200'],
      ],
    },
    { name: 'Stage limits', entries: stage },
    {
      name: 'Camera overlap settings',
      entries: [
        ['Camera 1 overlap percent', '100'],
        ['Camera 1 capture mode (0: full, 1: from front, 2: from back)', '0'],
        ['Camera 2 overlap percent', '100'],
        ['Camera 2 capture mode (0: full, 1: from front, 2: from back)', '0'],
      ],
    },
    {
      name: 'LED settings',
      entries: [
        ['LED selection (0 red, 1 green, 2 blue, 3 white)', '1'],
        ['Preview on', '0'],
        ['Recording on', '0'],
        ['Intensity red', '42000'],
        ['Intensity green', '50000'],
        ['Intensity blue', '50000'],
        ['Intensity white', '50000'],
        ['UI slider min (match LED DAC)', '3200000'],
        ['UI slider max (match LED DAC)', '6553500'],
        ['UI slider factor adjustment', '100'],
      ],
    },
    {
      name: 'Type',
      entries: [
        ['Microscope type', 'T, X, L, V SPIM'],
        ['Microscope name', name],
        ['Microscope address', `${host} ${port}`],
        ['Microscope builder', 'Builder'],
        ['Objective lens magnification', '6.205'],
        ['Tube lens design focal length (mm)', '200'],
        ['Tube lens length (mm)', '200'],
      ],
    },
  ];
}

/**
 * A complete ScopeSettings text with all seven sections and the spec's §9.4 values
 * (≥ 2000 bytes, as py2flamingo requires). With no options it is exactly the §9.4
 * example: name `simscope`, address `127.0.0.1 53717`.
 */
export function defaultScopeSettingsText(opts: { name?: string; host?: string; port?: number } = {}): string {
  const name = opts.name ?? 'simscope';
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 53717;
  if (name.trim() === '') fail('Microscope name must not be empty.');
  if (!/^\S+$/.test(host)) fail(`Microscope host '${host}' must be one word without spaces.`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`Microscope port ${port} must be an integer from 1 to 65535.`);
  return buildScopeSettingsText(defaultSections(name, host, port));
}
