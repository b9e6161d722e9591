/**
 * The `<Section>` / `key = value` text grammar shared by the workflow file (spec §8.1)
 * and the ScopeSettings text (spec §9.2). Tolerant the way the server and py2flamingo
 * are: LF or CRLF, any indentation, blank lines, empty values, the first `=` splits.
 * One level of nesting is allowed (the workflow's `<Workflow Settings>` wrapper); the
 * wrapper is listed as a section of its own, before the sections it encloses.
 *
 * @example
 * const sections = parseSectionedText('<Type>\n  Microscope name = n7\n</Type>');
 * // [{ name: 'Type', entries: [['Microscope name', 'n7']] }]
 * const text = decodeProtocolText(bytesFromTheSocket); // UTF-8, lone Latin-1 0xB0 → '°'
 */

import { ProtocolError } from './errors.ts';

export interface TextSection {
  name: string;
  entries: Array<[key: string, value: string]>;
}

/** One meaningful line of a sectioned text, with its 1-based line number. */
export type SectionedLine =
  | { kind: 'open'; name: string; line: number }
  | { kind: 'close'; name: string; line: number }
  | { kind: 'entry'; key: string; value: string; line: number };

/** Error codes a sectioned-text parser may report with (the caller's own domain). */
export type SectionedTextErrorCode = 'bad-workflow' | 'bad-settings';

/** Whitespace plus NUL: a C server may pad its text with NULs (spec §9.1). */
const TRIM_CHARS = /^[\s\0]+|[\s\0]+$/g;

function trimLine(s: string): string {
  return s.replace(TRIM_CHARS, '');
}

function describe(line: string): string {
  return line.length > 60 ? `'${line.slice(0, 57)}...'` : `'${line}'`;
}

/**
 * Splits a text into its tags and `key = value` entries, skipping blank lines.
 * Throws on a line that is neither (a tag must be `<Name>` or `</Name>`, an entry needs
 * an `=` and a key).
 */
export function tokenizeSectionedText(text: string, code: SectionedTextErrorCode = 'bad-settings'): SectionedLine[] {
  const out: SectionedLine[] = [];
  const lines = text.split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const line = trimLine(raw);
    const lineNo = i + 1;
    if (line === '') continue;
    if (line.startsWith('<')) {
      const m = /^<(\/?)([^<>/][^<>]*)>$/.exec(line);
      if (!m) throw new ProtocolError(code, `Line ${lineNo} ${describe(line)} is not a valid <Section> tag.`);
      const name = (m[2] ?? '').trim();
      out.push({ kind: m[1] === '/' ? 'close' : 'open', name, line: lineNo });
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new ProtocolError(code, `Line ${lineNo} ${describe(line)} is neither a <Section> tag nor a 'key = value' setting.`);
    const key = line.slice(0, eq).trim();
    if (key === '') throw new ProtocolError(code, `Line ${lineNo} ${describe(line)} has no key before its '='.`);
    out.push({ kind: 'entry', key, value: line.slice(eq + 1).trim(), line: lineNo });
  }
  return out;
}

/**
 * Parses a sectioned text into its sections, in order of their opening tags. Every
 * section must be closed by a matching `</Name>`, entries must sit inside a section,
 * and sections nest at most one level deep.
 *
 * @param code the error code to throw with (`bad-settings` unless the caller is the
 *   workflow parser).
 */
export function parseSectionedText(text: string, code: SectionedTextErrorCode = 'bad-settings'): TextSection[] {
  const sections: TextSection[] = [];
  const open: Array<{ section: TextSection; line: number }> = [];
  for (const tok of tokenizeSectionedText(text, code)) {
    if (tok.kind === 'open') {
      const parent = open[open.length - 1];
      if (parent && open.length >= 2) {
        throw new ProtocolError(
          code,
          `Section <${tok.name}> on line ${tok.line} opens while <${parent.section.name}> from line ${parent.line} is still open (is </${parent.section.name}> missing?); sections nest at most one level deep.`,
        );
      }
      const section: TextSection = { name: tok.name, entries: [] };
      sections.push(section);
      open.push({ section, line: tok.line });
    } else if (tok.kind === 'close') {
      const top = open.pop();
      if (!top) throw new ProtocolError(code, `Closing tag </${tok.name}> on line ${tok.line} has no matching opening tag.`);
      if (top.section.name !== tok.name) {
        throw new ProtocolError(code, `Section <${top.section.name}> opened on line ${top.line} is closed by </${tok.name}> on line ${tok.line}.`);
      }
    } else {
      const top = open[open.length - 1];
      if (!top) throw new ProtocolError(code, `Setting '${tok.key}' on line ${tok.line} is outside any section.`);
      top.section.entries.push([tok.key, tok.value]);
    }
  }
  const unclosed = open[open.length - 1];
  if (unclosed) {
    throw new ProtocolError(code, `Section <${unclosed.section.name}> opened on line ${unclosed.line} is never closed.`);
  }
  return sections;
}

/** Length of a valid UTF-8 sequence starting at `i`, or 0 if the bytes there are not one. */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i] ?? 0;
  let n: number;
  let min2 = 0x80;
  let max2 = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) n = 2;
  else if (b >= 0xe0 && b <= 0xef) {
    n = 3;
    if (b === 0xe0) min2 = 0xa0;
    if (b === 0xed) max2 = 0x9f;
  } else if (b >= 0xf0 && b <= 0xf4) {
    n = 4;
    if (b === 0xf0) min2 = 0x90;
    if (b === 0xf4) max2 = 0x8f;
  } else return 0;
  if (i + n > bytes.length) return 0;
  for (let k = 1; k < n; k++) {
    const c = bytes[i + k] ?? 0;
    const lo = k === 1 ? min2 : 0x80;
    const hi = k === 1 ? max2 : 0xbf;
    if (c < lo || c > hi) return 0;
  }
  return n;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');

/**
 * Decodes protocol text bytes as UTF-8. A byte that is not part of a valid UTF-8
 * sequence is read as Latin-1 when it is printable there (0xA0–0xFF: the historical
 * lone `B0` degree sign becomes '°', a lone `B5` becomes 'µ'); other stray bytes become
 * U+FFFD. A leading byte-order mark is dropped.
 */
export function decodeProtocolText(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    // Not valid UTF-8: repair the stray bytes below.
  }
  const fixed: number[] = [];
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i] ?? 0;
    if (b < 0x80) {
      fixed.push(b);
      i++;
      continue;
    }
    const n = utf8SequenceLength(bytes, i);
    if (n > 0) {
      for (let k = 0; k < n; k++) fixed.push(bytes[i + k] ?? 0);
      i += n;
    } else {
      if (b >= 0xa0) fixed.push(0xc0 | (b >> 6), 0x80 | (b & 0x3f));
      else fixed.push(0xef, 0xbf, 0xbd);
      i++;
    }
  }
  return lenientUtf8.decode(Uint8Array.from(fixed));
}
