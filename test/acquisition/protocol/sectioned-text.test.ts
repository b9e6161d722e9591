import { describe, expect, it } from 'vitest';
import { isProtocolError } from '../../../src/acquisition/protocol/errors.ts';
import { decodeProtocolText, parseSectionedText, tokenizeSectionedText } from '../../../src/acquisition/protocol/sectioned-text.ts';
import { errorOf } from '../../support.ts';

describe('parseSectionedText', () => {
  it('reads sections and key = value entries in order', () => {
    const text = '<A>\n  one = 1\n  two = 2 3\n</A>\n<B>\n  name = n7\n</B>';
    expect(parseSectionedText(text)).toEqual([
      { name: 'A', entries: [['one', '1'], ['two', '2 3']] },
      { name: 'B', entries: [['name', 'n7']] },
    ]);
  });

  it('splits at the first = and trims key and value', () => {
    const [s] = parseSectionedText('<S>\n   a b  =  x = y  \n</S>');
    expect(s?.entries).toEqual([['a b', 'x = y']]);
  });

  it('accepts empty values with or without the trailing space', () => {
    const [s] = parseSectionedText('<S>\n  Sample = \n  Region =\n</S>');
    expect(s?.entries).toEqual([
      ['Sample', ''],
      ['Region', ''],
    ]);
  });

  it('tolerates CRLF, lone CR, any indentation, blank lines and trailing NULs', () => {
    const text = '\r\n<S>\r\n\tk1 = v1\r\n\r\n        k2 = v2\r</S>\r\n\0\0\0';
    expect(parseSectionedText(text)).toEqual([{ name: 'S', entries: [['k1', 'v1'], ['k2', 'v2']] }]);
  });

  it('lists a wrapper before the sections it encloses', () => {
    const text = '<Workflow Settings>\n  <Inner>\n    k = v\n  </Inner>\n</Workflow Settings>';
    expect(parseSectionedText(text)).toEqual([
      { name: 'Workflow Settings', entries: [] },
      { name: 'Inner', entries: [['k', 'v']] },
    ]);
  });

  it('reports line numbers with the tokens', () => {
    expect(tokenizeSectionedText('<S>\n\n  k = v\n</S>')).toEqual([
      { kind: 'open', name: 'S', line: 1 },
      { kind: 'entry', key: 'k', value: 'v', line: 3 },
      { kind: 'close', name: 'S', line: 4 },
    ]);
  });

  it.each([
    ['an unterminated section', '<S>\n  k = v', /<S> opened on line 1 is never closed/],
    ['a mismatched closing tag', '<S>\n  k = v\n</T>', /<S> opened on line 1 is closed by <\/T> on line 3/],
    ['a closing tag without opening', '</S>', /no matching opening tag/],
    ['an entry outside any section', 'k = v\n<S>\n</S>', /'k' on line 1 is outside any section/],
    ['a line that is neither tag nor setting', '<S>\n  just words\n</S>', /Line 2 'just words' is neither/],
    ['a setting without a key', '<S>\n  = 3\n</S>', /Line 2 '= 3' has no key/],
    ['a broken tag', '<S\n</S>', /Line 1 '<S' is not a valid <Section> tag/],
    ['nesting three deep', '<A>\n<B>\n<C>\n</C>\n</B>\n</A>', /<C> on line 3 opens while <B> from line 2 is still open/],
  ])('rejects %s with a clear error', (_what, text, message) => {
    const err = errorOf(() => parseSectionedText(text));
    expect(isProtocolError(err, 'bad-settings')).toBe(true);
    expect(err.message).toMatch(message);
  });

  it('throws with the caller’s error code', () => {
    expect(isProtocolError(errorOf(() => parseSectionedText('<S>', 'bad-workflow')), 'bad-workflow')).toBe(true);
  });

  it('returns no sections for an empty text', () => {
    expect(parseSectionedText('')).toEqual([]);
  });
});

describe('decodeProtocolText', () => {
  const enc = new TextEncoder();

  it('decodes UTF-8, including the degree sign as C2 B0', () => {
    expect(decodeProtocolText(enc.encode('Rotational stage velocity (°/s) = 0'))).toBe('Rotational stage velocity (°/s) = 0');
  });

  it('maps a lone Latin-1 B0 byte to the degree sign', () => {
    const bytes = Uint8Array.from([...enc.encode('velocity ('), 0xb0, ...enc.encode('/s) = 0')]);
    expect(decodeProtocolText(bytes)).toBe('velocity (°/s) = 0');
  });

  it('keeps valid UTF-8 around a lone byte and reads other printable Latin-1 bytes too', () => {
    const bytes = Uint8Array.from([0xb0, ...enc.encode(' ° '), 0xb5, 0x6d, 0x20, 0xe2, 0x82, 0xac]);
    expect(decodeProtocolText(bytes)).toBe('° ° µm €');
  });

  it('turns a stray byte below A0 into U+FFFD, and reads the rest of a truncated sequence byte by byte', () => {
    expect(decodeProtocolText(Uint8Array.from([0x61, 0x81, 0x62]))).toBe('a\uFFFDb');
    expect(decodeProtocolText(Uint8Array.from([0x61, 0xe2, 0x82]))).toBe('a\u00E2\uFFFD');
  });

  it('drops a leading byte-order mark', () => {
    expect(decodeProtocolText(Uint8Array.from([0xef, 0xbb, 0xbf, 0x41]))).toBe('A');
  });
});
