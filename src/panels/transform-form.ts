/**
 * The Transform panel's form without React: per channel (or for all channels) a list of op
 * drafts with their parameters in the session's units (gaussian σ in voxels, rotation in
 * degrees, shift in µm, downsample factor), checked one sentence at a time, and converted to
 * and from the session's `flamingo.transforms` entries (`params.channels` limits an entry to
 * some channels; entries this form does not edit are kept unchanged).
 *
 * @example
 * const drafts: ChannelDrafts = { all: [defaultDraft('rotate')], 1: [defaultDraft('gaussian')] };
 * const entries = entriesFromDrafts(drafts);   // [{ op: 'rotate', params: {…} }, { op: 'gaussian', params: { …, channels: [1] } }]
 * draftsFromEntries(entries);                  // { drafts, kept: [] }
 */
import type { TransformEntry } from '../session/metadata/types.ts';
import { MAX_GAUSSIAN_RADIUS } from '../transforms/types.ts';
import { entryChannels } from './transform-state.ts';

export type Triple = [number, number, number];

export type OpDraft =
  | { op: 'gaussian'; sigma: Triple; truncate: number }
  | { op: 'rotate'; axis: 'x' | 'y' | 'z'; angleDeg: number; order: 0 | 1 }
  | { op: 'shift'; offsetUm: Triple; order: 0 | 1 }
  | { op: 'downsample'; factor: number; reduce: 'mean' | 'max' };

export type DraftOpName = OpDraft['op'];
export const DRAFT_OPS: readonly DraftOpName[] = ['gaussian', 'rotate', 'shift', 'downsample'];

/** Drafts per target: `all` channels, or one channel index. */
export type ChannelDrafts = Partial<Record<'all' | number, OpDraft[]>>;

export function defaultDraft(op: DraftOpName): OpDraft {
  switch (op) {
    case 'gaussian':
      return { op, sigma: [1, 1, 1], truncate: 4 };
    case 'rotate':
      return { op, axis: 'z', angleDeg: 15, order: 1 };
    case 'shift':
      return { op, offsetUm: [0, 0, 0], order: 1 };
    case 'downsample':
      return { op, factor: 2, reduce: 'mean' };
  }
}

const finite = (v: number): boolean => typeof v === 'number' && Number.isFinite(v);

/** The first problem of a draft as one sentence, or null. */
export function checkDraft(d: OpDraft): string | null {
  switch (d.op) {
    case 'gaussian': {
      if (!finite(d.truncate) || d.truncate < 0) return `Gaussian truncate is ${d.truncate}; expected a number ≥ 0.`;
      const axes = ['z', 'y', 'x'];
      for (let i = 0; i < 3; i++) {
        const s = d.sigma[i]!;
        if (!finite(s) || s < 0) return `Gaussian σ ${axes[i]} is ${s}; expected a number ≥ 0.`;
        if (s * d.truncate + 0.5 > MAX_GAUSSIAN_RADIUS) return `Gaussian σ ${axes[i]} = ${s} gives a kernel radius above ${MAX_GAUSSIAN_RADIUS} voxels.`;
      }
      return null;
    }
    case 'rotate':
      return finite(d.angleDeg) ? null : `Rotation angle is ${d.angleDeg}; expected a number of degrees.`;
    case 'shift':
      return d.offsetUm.every(finite) ? null : `Shift offset ${d.offsetUm.join(', ')} µm is not three numbers (z, y, x).`;
    case 'downsample':
      return Number.isInteger(d.factor) && d.factor >= 1 ? null : `Downsample factor is ${d.factor}; expected an integer ≥ 1.`;
  }
}

/** The first problem of any draft, naming its target, or null. */
export function checkDrafts(drafts: ChannelDrafts, channelName: (c: number) => string = (c) => `channel ${c}`): string | null {
  for (const [target, list] of Object.entries(drafts)) {
    for (const d of list ?? []) {
      const problem = checkDraft(d);
      if (problem) return `${target === 'all' ? 'All channels' : channelName(Number(target))}: ${problem}`;
    }
  }
  return null;
}

function entryOf(d: OpDraft): TransformEntry {
  switch (d.op) {
    case 'gaussian':
      return { op: 'gaussian', params: { sigma_voxels: [...d.sigma], truncate: d.truncate } };
    case 'rotate':
      return { op: 'rotate', params: { axis: d.axis, angle_deg: d.angleDeg, center_um: null, order: d.order } };
    case 'shift':
      return { op: 'shift', params: { offset_um: [...d.offsetUm], order: d.order } };
    case 'downsample':
      return { op: 'downsample', params: { factor: [d.factor, d.factor, d.factor], reduce: d.reduce } };
  }
}

/** Session entries: the all-channel drafts first, then each channel's (with `params.channels: [c]`), then `kept`. */
export function entriesFromDrafts(drafts: ChannelDrafts, kept: readonly TransformEntry[] = []): TransformEntry[] {
  const out: TransformEntry[] = (drafts.all ?? []).map(entryOf);
  const channels = Object.keys(drafts)
    .filter((k) => k !== 'all')
    .map(Number)
    .sort((a, b) => a - b);
  for (const c of channels) for (const d of drafts[c] ?? []) out.push({ op: d.op, params: { ...entryOf(d).params, channels: [c] } });
  return [...out, ...kept];
}

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const triple = (v: unknown): v is Triple => Array.isArray(v) && v.length === 3 && v.every(num);
const orderOf = (v: unknown): 0 | 1 | null => (v === 0 || v === 1 ? v : null);

function draftOf(e: TransformEntry): OpDraft | null {
  const p = e.params ?? {};
  switch (e.op) {
    case 'gaussian':
      return triple(p['sigma_voxels']) ? { op: 'gaussian', sigma: [...p['sigma_voxels']] as Triple, truncate: num(p['truncate']) ? p['truncate'] : 4 } : null;
    case 'rotate': {
      const o = orderOf(p['order']);
      const axis = p['axis'];
      if ((axis !== 'x' && axis !== 'y' && axis !== 'z') || !num(p['angle_deg']) || o === null || (p['center_um'] !== null && p['center_um'] !== undefined)) return null;
      return { op: 'rotate', axis, angleDeg: p['angle_deg'], order: o };
    }
    case 'shift': {
      const o = orderOf(p['order']);
      return triple(p['offset_um']) && o !== null ? { op: 'shift', offsetUm: [...p['offset_um']] as Triple, order: o } : null;
    }
    case 'downsample': {
      const f = p['factor'];
      const reduce = p['reduce'];
      if (!triple(f) || f[0] !== f[1] || f[1] !== f[2] || (reduce !== 'mean' && reduce !== 'max')) return null;
      return { op: 'downsample', factor: f[0], reduce };
    }
    default:
      return null;
  }
}

/**
 * Drafts from session entries; entries the form cannot edit (unknown ops, affine, a rotation
 * about a chosen centre, several channels at once) are returned in `kept`, unchanged.
 */
export function draftsFromEntries(entries: readonly TransformEntry[]): { drafts: ChannelDrafts; kept: TransformEntry[] } {
  const drafts: ChannelDrafts = {};
  const kept: TransformEntry[] = [];
  for (const e of entries) {
    const channels = entryChannels(e);
    const d = draftOf(e);
    if (d === null || (channels !== null && channels.length !== 1)) {
      kept.push(e);
      continue;
    }
    const target = channels === null ? 'all' : channels[0]!;
    (drafts[target] ??= []).push(d);
  }
  return { drafts, kept };
}

/** One line describing a draft, e.g. `rotate z 15° (linear)`. */
export function draftLabel(d: OpDraft): string {
  switch (d.op) {
    case 'gaussian':
      return `gaussian σ ${d.sigma.join(', ')}`;
    case 'rotate':
      return `rotate ${d.axis} ${d.angleDeg}° (${d.order === 1 ? 'linear' : 'nearest'})`;
    case 'shift':
      return `shift ${d.offsetUm.join(', ')} µm (${d.order === 1 ? 'linear' : 'nearest'})`;
    case 'downsample':
      return `downsample ×${d.factor} (${d.reduce})`;
  }
}
