/**
 * Generated SIMD (f64x2) "combine" kernels for the Gaussian: four outputs per step, each
 * `round(x[c]·w0 + Σ_{j=r..1} (x[lo_j] + x[hi_j])·wj)` in double with exactly the scalar order
 * (no FMA: WebAssembly has none outside relaxed SIMD). Loads are at static offsets from one
 * moving pointer, so a kernel is specialised by its offsets, weights and voxel kinds.
 *
 * @example
 * const f = combineKernel(memory, { src: 'u16', dst: 'f64-trunc', offsets: [0, 160, 320], weights: [0.5, 0.25] });
 * f(srcPtr, dstPtr, count);
 */
import { Code, OP, SIMD, moduleBytes } from './emit.ts';

export type SrcKind = 'u8' | 'u16' | 'f32' | 'f64';
/** f64 outputs store the pass's rounding (truncation or float32); typed outputs convert like a typed-array store. */
export type DstKind = 'f64-trunc' | 'f64-fround' | 'u8' | 'u16' | 'f32';

export const SRC_BYTES: Record<SrcKind, number> = { u8: 1, u16: 2, f32: 4, f64: 8 };
export const DST_BYTES: Record<DstKind, number> = { 'f64-trunc': 8, 'f64-fround': 8, u8: 1, u16: 2, f32: 4 };

export interface CombineSpec {
  src: SrcKind;
  dst: DstKind;
  /** Byte offsets from the source pointer: [centre, lo_1, hi_1, …, lo_r, hi_r]. */
  offsets: readonly number[];
  /** w0 … wr. */
  weights: ArrayLike<number>;
}

/** (src, dst, count): computes `count` outputs, rounded up to a multiple of 4 (up to 3 extra are written). */
export type CombineFn = (src: number, dst: number, count: number) => void;

/*
 * Conversions use the signed forms (one x86 instruction each, against a sequence for the unsigned
 * ones): every integer converted is below 2^17 and every double truncated is in [0, 2^31) (the
 * weights are positive and sum to 1), where signed and unsigned agree exactly.
 */
function load(c: Code, kind: SrcKind, offset: number): void {
  c.op(OP.localGet, 0);
  switch (kind) {
    case 'f64':
      c.mem(SIMD.v128Load, offset);
      break;
    case 'u16':
      c.mem(SIMD.load32Zero, offset).simd(SIMD.i32x4ExtendLowI16x8U).simd(SIMD.f64x2ConvertLowI32x4S);
      break;
    case 'u8':
      c.mem(SIMD.load16Splat, offset).simd(SIMD.i16x8ExtendLowI8x16U).simd(SIMD.i32x4ExtendLowI16x8U).simd(SIMD.f64x2ConvertLowI32x4S);
      break;
    case 'f32':
      c.mem(SIMD.load64Zero, offset).simd(SIMD.f64x2PromoteLowF32x4);
      break;
  }
}

function store(c: Code, kind: DstKind, at: number): void {
  switch (kind) {
    case 'f64-trunc':
      c.simd(SIMD.f64x2Trunc).mem(SIMD.v128Store, at);
      break;
    case 'f64-fround':
      c.simd(SIMD.f32x4DemoteF64x2Zero).simd(SIMD.f64x2PromoteLowF32x4).mem(SIMD.v128Store, at);
      break;
    case 'u16':
      c.simd(SIMD.i32x4TruncSatF64x2SZero).f64x2(0).simd(SIMD.i16x8NarrowI32x4U).mem(SIMD.store32Lane, at, 0);
      break;
    case 'u8':
      c.simd(SIMD.i32x4TruncSatF64x2SZero).f64x2(0).simd(SIMD.i16x8NarrowI32x4U).f64x2(0).simd(SIMD.i8x16NarrowI16x8U).mem(SIMD.store16Lane, at, 0);
      break;
    case 'f32':
      c.simd(SIMD.f32x4DemoteF64x2Zero).mem(SIMD.store64Lane, at, 0);
      break;
  }
}

/** Four unsigned integer voxels at `offset` from the source pointer, widened to i32x4. */
function loadInt4(c: Code, kind: 'u8' | 'u16', offset: number): void {
  c.op(OP.localGet, 0);
  if (kind === 'u16') c.mem(SIMD.load64Zero, offset).simd(SIMD.i32x4ExtendLowI16x8U);
  else c.mem(SIMD.load32Zero, offset).simd(SIMD.i16x8ExtendLowI8x16U).simd(SIMD.i32x4ExtendLowI16x8U);
}

/** Lanes 2 and 3 of an i32x4 moved to lanes 0 and 1. */
const HIGH_PAIR = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];

/**
 * Integer sources (u8, u16): the pair sums x[lo_j] + x[hi_j] are formed in i32x4 and converted
 * once. Both are exact (the double sum of two integers below 2^17 is the integer sum), so the
 * result is bit-identical to the all-double form, with a quarter of the conversions.
 * v128 locals 4 … 4 + r hold the centre and the r pair sums of four outputs.
 */
function integerSourceStep(c: Code, spec: CombineSpec, r: number, kind: 'u8' | 'u16', dstBytes: number): void {
  const V = 4;
  loadInt4(c, kind, spec.offsets[0]!);
  c.op(OP.localSet, V);
  for (let j = 1; j <= r; j++) {
    loadInt4(c, kind, spec.offsets[2 * j - 1]!);
    loadInt4(c, kind, spec.offsets[2 * j]!);
    c.simd(SIMD.i32x4Add).op(OP.localSet, V + j);
  }
  const toF64 = (local: number, half: number): void => {
    c.op(OP.localGet, local);
    if (half === 1) c.op(OP.localGet, local).shuffle(HIGH_PAIR);
    c.simd(SIMD.f64x2ConvertLowI32x4S);
  };
  for (let half = 0; half < 2; half++) {
    c.op(OP.localGet, 1);
    toF64(V, half);
    c.f64x2(spec.weights[0]!).simd(SIMD.f64x2Mul);
    for (let j = r; j >= 1; j--) {
      toF64(V + j, half);
      c.f64x2(spec.weights[j]!).simd(SIMD.f64x2Mul).simd(SIMD.f64x2Add);
    }
    store(c, spec.dst, half * 2 * dstBytes);
  }
}

/** The module bytes of one combine kernel. Params: 0 src, 1 dst, 2 count; local 3 end. */
export function combineModule(spec: CombineSpec): Uint8Array<ArrayBuffer> {
  const r = (spec.offsets.length - 1) / 2;
  const src = spec.src;
  if (src === 'u8' || src === 'u16') return integerSourceModule(spec, r, src);
  const dstBytes = DST_BYTES[spec.dst];
  const c = new Code();
  c.op(OP.localGet, 1).op(OP.localGet, 2).i32(dstBytes).op(OP.i32Mul).op(OP.i32Add).op(OP.localSet, 3);
  c.op(OP.block, 0x40).op(OP.loop, 0x40);
  c.op(OP.localGet, 1).op(OP.localGet, 3).op(OP.i32GeU).op(OP.brIf, 1);
  // Two pairs of outputs per step (4 lanes), for instruction-level parallelism.
  for (let half = 0; half < 2; half++) {
    const shift = half * 2 * SRC_BYTES[spec.src];
    c.op(OP.localGet, 1);
    load(c, spec.src, spec.offsets[0]! + shift);
    c.f64x2(spec.weights[0]!).simd(SIMD.f64x2Mul);
    for (let j = r; j >= 1; j--) {
      load(c, spec.src, spec.offsets[2 * j - 1]! + shift);
      load(c, spec.src, spec.offsets[2 * j]! + shift);
      c.simd(SIMD.f64x2Add).f64x2(spec.weights[j]!).simd(SIMD.f64x2Mul).simd(SIMD.f64x2Add);
    }
    store(c, spec.dst, half * 2 * dstBytes);
  }
  c.op(OP.localGet, 0).i32(4 * SRC_BYTES[spec.src]).op(OP.i32Add).op(OP.localSet, 0);
  c.op(OP.localGet, 1).i32(4 * dstBytes).op(OP.i32Add).op(OP.localSet, 1);
  c.op(OP.br, 0).op(OP.end).op(OP.end);
  return moduleBytes(3, 1, c);
}

function integerSourceModule(spec: CombineSpec, r: number, kind: 'u8' | 'u16'): Uint8Array<ArrayBuffer> {
  const dstBytes = DST_BYTES[spec.dst];
  const c = new Code();
  c.op(OP.localGet, 1).op(OP.localGet, 2).i32(dstBytes).op(OP.i32Mul).op(OP.i32Add).op(OP.localSet, 3);
  c.op(OP.block, 0x40).op(OP.loop, 0x40);
  c.op(OP.localGet, 1).op(OP.localGet, 3).op(OP.i32GeU).op(OP.brIf, 1);
  integerSourceStep(c, spec, r, kind, dstBytes);
  c.op(OP.localGet, 0).i32(4 * SRC_BYTES[kind]).op(OP.i32Add).op(OP.localSet, 0);
  c.op(OP.localGet, 1).i32(4 * dstBytes).op(OP.i32Add).op(OP.localSet, 1);
  c.op(OP.br, 0).op(OP.end).op(OP.end);
  return moduleBytes(3, 1, c, r + 1);
}

/** Compiles and instantiates a kernel on `memory` (synchronously; the modules are tiny). */
export function combineKernel(memory: WebAssembly.Memory, spec: CombineSpec): CombineFn {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(combineModule(spec)), { e: { m: memory } });
  return instance.exports.f as CombineFn;
}
