/**
 * The masked copy's in-plane move (shift.ts) as WebAssembly over the output's own shared memory:
 * one `memory.copy` moves the plane's inside block by the y/x offset (a native memmove at any
 * alignment), then a loop sets the x margins of its rows to the fill value. JavaScript can only
 * move shared memory word by word between equally aligned places, so without this the plane
 * goes through a private scratch plane: two word-by-word copies instead of one.
 *
 * @example
 * const move = planeMover(memoryOf(out.buffer)!, 'uint16');
 * move(dstByte, srcByte, bytes, firstRowByte, endRowByte, rowBytes, leftBytes, rightAtByte, rowBytes, fill);
 */
import type { VoxelType } from '../../types.ts';
import { Code, OP, moduleBytes } from './emit.ts';

const BYTES: Record<VoxelType, number> = { uint8: 1, uint16: 2, float32: 4 };
/** i32.store8, i32.store16, i32.store (a float32 fill is stored as its bit pattern). */
const STORE: Record<VoxelType, number> = { uint8: 0x3a, uint16: 0x3b, float32: 0x36 };
const MEMORY_COPY = [0xfc, 10, 0, 0];

/**
 * `(dst, src, n, row, end, stride, left, rightAt, rightEnd, fill)`, all byte addresses and
 * counts: moves `n` bytes from `src` to `dst` (overlap allowed), then for each row start `row`
 * below `end` (`stride` apart) stores `fill` over [row, row + left) and [row + rightAt, row + rightEnd).
 */
export type PlaneMove = (dst: number, src: number, n: number, row: number, end: number, stride: number, left: number, rightAt: number, rightEnd: number, fill: number) => void;

function planeMoveModule(type: VoxelType): Uint8Array<ArrayBuffer> {
  const [dst, src, n, row, end, stride, left, rightAt, rightEnd, fill, p, e] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const step = BYTES[type];
  const c = new Code();
  c.op(OP.localGet, dst).op(OP.localGet, src).op(OP.localGet, n);
  c.bytes.push(...MEMORY_COPY);
  /** Stores `fill` at p, p + step, … while p < e. */
  const run = (): void => {
    c.op(OP.block, 0x40).op(OP.loop, 0x40);
    c.op(OP.localGet, p).op(OP.localGet, e).op(OP.i32GeU).op(OP.brIf, 1);
    c.op(OP.localGet, p).op(OP.localGet, fill).op(STORE[type], Math.log2(step), 0);
    c.op(OP.localGet, p).i32(step).op(OP.i32Add).op(OP.localSet, p);
    c.op(OP.br, 0).op(OP.end).op(OP.end);
  };
  c.op(OP.block, 0x40).op(OP.loop, 0x40);
  c.op(OP.localGet, row).op(OP.localGet, end).op(OP.i32GeU).op(OP.brIf, 1);
  c.op(OP.localGet, row).op(OP.localSet, p);
  c.op(OP.localGet, row).op(OP.localGet, left).op(OP.i32Add).op(OP.localSet, e);
  run();
  c.op(OP.localGet, row).op(OP.localGet, rightAt).op(OP.i32Add).op(OP.localSet, p);
  c.op(OP.localGet, row).op(OP.localGet, rightEnd).op(OP.i32Add).op(OP.localSet, e);
  run();
  c.op(OP.localGet, row).op(OP.localGet, stride).op(OP.i32Add).op(OP.localSet, row);
  c.op(OP.br, 0).op(OP.end).op(OP.end);
  return moduleBytes(10, 2, c, 0, true);
}

const modules = new Map<VoxelType, WebAssembly.Module>();
const movers = new WeakMap<WebAssembly.Memory, Map<VoxelType, PlaneMove>>();

/** The plane move for voxels of `type` in `memory` (compiled once per type, instantiated once per memory). */
export function planeMover(memory: WebAssembly.Memory, type: VoxelType): PlaneMove {
  let byType = movers.get(memory);
  if (!byType) movers.set(memory, (byType = new Map()));
  let f = byType.get(type);
  if (!f) {
    let module = modules.get(type);
    if (!module) modules.set(type, (module = new WebAssembly.Module(planeMoveModule(type))));
    f = new WebAssembly.Instance(module, { e: { m: memory } }).exports['f'] as PlaneMove;
    byType.set(type, f);
  }
  return f;
}

/** The bit pattern a fill value is stored with (i32 argument of `PlaneMove`). */
export function fillBits(type: VoxelType, fill: number): number {
  if (type !== 'float32') return fill | 0;
  return new Int32Array(new Float32Array([fill]).buffer)[0]!;
}
