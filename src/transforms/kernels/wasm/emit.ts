/**
 * A tiny WebAssembly binary writer for the SIMD kernels: the modules are generated in memory at
 * run time (no compiled artefacts, no toolchain), each a single exported function `f` that
 * imports its memory as `e.m`.
 *
 * @example
 * const body = new Code();
 * body.op(OP.localGet, 0).op(OP.localGet, 1).op(OP.i32Add); // …
 * const module = new WebAssembly.Module(moduleBytes(2, 1, body));
 */

/** Bytes in a WebAssembly memory page. */
export const PAGE_BYTES = 65536;
/** Pages of the largest memory WebAssembly (32-bit addresses) can have: 4 GiB. */
export const MAX_MEMORY_PAGES = 65536;

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/** Core opcodes used here. */
export const OP = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Const: 0x41,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Mul: 0x6c,
} as const;

/** SIMD opcodes (after the 0xfd prefix). */
export const SIMD = {
  v128Load: 0x00,
  load16Splat: 0x08,
  v128Store: 0x0b,
  v128Const: 0x0c,
  i8x16Shuffle: 0x0d,
  load32Zero: 0x5c,
  load64Zero: 0x5d,
  store16Lane: 0x59,
  store32Lane: 0x5a,
  store64Lane: 0x5b,
  f32x4DemoteF64x2Zero: 0x5e,
  f64x2PromoteLowF32x4: 0x5f,
  i8x16NarrowI16x8U: 0x66,
  f64x2Trunc: 0x7a,
  i16x8NarrowI32x4U: 0x86,
  i16x8ExtendLowI8x16U: 0x89,
  i32x4ExtendLowI16x8U: 0xa9,
  i32x4Add: 0xae,
  f64x2Add: 0xf0,
  f64x2Mul: 0xf2,
  i32x4TruncSatF64x2SZero: 0xfc,
  i32x4TruncSatF64x2UZero: 0xfd,
  f64x2ConvertLowI32x4S: 0xfe,
  f64x2ConvertLowI32x4U: 0xff,
} as const;

/** A function body under construction. */
export class Code {
  readonly bytes: number[] = [];

  op(code: number, ...immediates: number[]): this {
    this.bytes.push(code);
    for (const i of immediates) this.bytes.push(...uleb(i));
    return this;
  }

  i32(v: number): this {
    this.bytes.push(OP.i32Const, ...sleb(v));
    return this;
  }

  simd(code: number): this {
    this.bytes.push(0xfd, ...uleb(code));
    return this;
  }

  /** A SIMD memory access: align hint 0, then the static offset (and a lane index for lane ops). */
  mem(code: number, offset: number, lane?: number): this {
    this.bytes.push(0xfd, ...uleb(code), 0, ...uleb(offset));
    if (lane !== undefined) this.bytes.push(lane);
    return this;
  }

  /** i8x16.shuffle of the two v128 operands with 16 lane indices (0–31). */
  shuffle(lanes: readonly number[]): this {
    this.bytes.push(0xfd, ...uleb(SIMD.i8x16Shuffle), ...lanes);
    return this;
  }

  /** v128.const with the same double in both lanes. */
  f64x2(v: number): this {
    const b = new Uint8Array(new Float64Array([v, v]).buffer);
    this.bytes.push(0xfd, ...uleb(SIMD.v128Const), ...b);
    return this;
  }
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function name(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

/**
 * A module exporting `f(i32 × params)` with `locals` extra i32 locals (numbered after the params)
 * and then `vlocals` v128 locals, importing memory `e.m` (any size; with `sharedMemory`, a shared
 * memory of any size).
 */
export function moduleBytes(params: number, locals: number, body: Code, vlocals = 0, sharedMemory = false): Uint8Array<ArrayBuffer> {
  const type = section(1, [1, 0x60, ...uleb(params), ...Array<number>(params).fill(0x7f), 0]);
  // Memory limits: flags 0 (minimum only) or 3 (shared, with the largest maximum).
  const limits = sharedMemory ? [0x03, 0x00, ...uleb(MAX_MEMORY_PAGES)] : [0x00, 0x00];
  const imports = section(2, [1, ...name('e'), ...name('m'), 0x02, ...limits]);
  const funcs = section(3, [1, 0]);
  const exports = section(7, [1, ...name('f'), 0x00, 0]);
  const groups: number[][] = [];
  if (locals > 0) groups.push([...uleb(locals), 0x7f]);
  if (vlocals > 0) groups.push([...uleb(vlocals), 0x7b]);
  const fn = [...uleb(groups.length), ...groups.flat(), ...body.bytes, OP.end];
  const code = section(10, [1, ...uleb(fn.length), ...fn]);
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...type, ...imports, ...funcs, ...exports, ...code]);
}
