/**
 * The Transform panel: per channel (or for all channels) a list of display transforms with
 * their parameters (gaussian σ, rotation axis/angle/order, shift offset/order, downsample
 * factor/reduce). Apply stores them in the viewer state (`transforms`, so Save session keeps
 * them and opening a session brings them back) and hands them to the "Transformed volume" layer:
 * rigid ones show at once, resampled results when the workers deliver them. A progress bar,
 * Cancel, and the transform cache's hits, misses and bytes.
 *
 * @example
 * <TransformPanel backend={backend} viewer={viewer} />
 */
import { useEffect, useRef, useState } from 'react';
import type { ReactElement } from 'react';
import type { TransformEntry } from '../session/metadata/types.ts';
import type { ManagerStats } from '../transforms/manager/transform-manager.ts';
import { errorText } from './live-state.ts';
import { formatBytes } from './plan-form.ts';
import { DRAFT_OPS, checkDrafts, defaultDraft, draftLabel, draftsFromEntries, entriesFromDrafts, type ChannelDrafts, type DraftOpName, type OpDraft, type Triple } from './transform-form.ts';
import { transformHubFor, type TransformHub } from './transform-state.ts';
import type { PanelProps } from './types.ts';

export interface TransformPanelProps extends PanelProps {
  /** The viewer's shared transform state (default: the one kept for `backend`). */
  hub?: TransformHub;
}

type Target = 'all' | number;

const AXES = ['z', 'y', 'x'] as const;

function NumberInput({ label, value, step, min, onChange }: { label: string; value: number; step?: number; min?: number; onChange: (v: number) => void }): ReactElement {
  return (
    <label>
      {label}
      <input type="number" value={Number.isFinite(value) ? value : ''} step={step ?? 'any'} min={min} onChange={(e) => onChange(e.target.value === '' ? NaN : Number(e.target.value))} />
    </label>
  );
}

function TripleInput({ label, value, onChange }: { label: string; value: Triple; onChange: (v: Triple) => void }): ReactElement {
  return (
    <>
      {AXES.map((a, i) => (
        <NumberInput key={a} label={`${label} ${a}`} value={value[i]!} onChange={(v) => onChange(value.map((x, j) => (j === i ? v : x)) as Triple)} />
      ))}
    </>
  );
}

function OrderSelect({ value, onChange }: { value: 0 | 1; onChange: (v: 0 | 1) => void }): ReactElement {
  return (
    <label>
      Order
      <select value={value} onChange={(e) => onChange(Number(e.target.value) as 0 | 1)}>
        <option value={0}>0 (nearest)</option>
        <option value={1}>1 (linear)</option>
      </select>
    </label>
  );
}

/** The parameter inputs of one draft. */
function DraftFields({ draft, onChange }: { draft: OpDraft; onChange: (d: OpDraft) => void }): ReactElement {
  switch (draft.op) {
    case 'gaussian':
      return (
        <>
          <TripleInput label="σ (voxels)" value={draft.sigma} onChange={(sigma) => onChange({ ...draft, sigma })} />
          <NumberInput label="Truncate" value={draft.truncate} min={0} onChange={(truncate) => onChange({ ...draft, truncate })} />
        </>
      );
    case 'rotate':
      return (
        <>
          <label>
            Axis
            <select value={draft.axis} onChange={(e) => onChange({ ...draft, axis: e.target.value as 'x' | 'y' | 'z' })}>
              <option value="z">z</option>
              <option value="y">y</option>
              <option value="x">x</option>
            </select>
          </label>
          <NumberInput label="Angle (°)" value={draft.angleDeg} onChange={(angleDeg) => onChange({ ...draft, angleDeg })} />
          <OrderSelect value={draft.order} onChange={(order) => onChange({ ...draft, order })} />
        </>
      );
    case 'shift':
      return (
        <>
          <TripleInput label="Offset (µm)" value={draft.offsetUm} onChange={(offsetUm) => onChange({ ...draft, offsetUm })} />
          <OrderSelect value={draft.order} onChange={(order) => onChange({ ...draft, order })} />
        </>
      );
    case 'downsample':
      return (
        <>
          <NumberInput label="Factor" value={draft.factor} step={1} min={1} onChange={(factor) => onChange({ ...draft, factor })} />
          <label>
            Reduce
            <select value={draft.reduce} onChange={(e) => onChange({ ...draft, reduce: e.target.value as 'mean' | 'max' })}>
              <option value="mean">mean</option>
              <option value="max">max</option>
            </select>
          </label>
        </>
      );
  }
}

/** The cache line, e.g. `Cache: 3 hits, 2 misses, 7.6 MB`. */
export function cacheStatsText(stats: ManagerStats | null): string {
  const c = stats?.cache;
  return `Cache: ${c?.hits ?? 0} hits, ${c?.misses ?? 0} misses, ${formatBytes(c?.bytes ?? 0)}`;
}

export function TransformPanel({ backend, viewer, hub: given }: TransformPanelProps): ReactElement {
  const hub = given ?? transformHubFor(backend);
  const [target, setTarget] = useState<Target>('all');
  const [drafts, setDrafts] = useState<ChannelDrafts>({});
  const [kept, setKept] = useState<TransformEntry[]>([]);
  const [adding, setAdding] = useState<DraftOpName>('rotate');
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [stats, setStats] = useState<ManagerStats | null>(() => (hub.started ? hub.manager().stats() : null));
  const [managerOn, setManagerOn] = useState(hub.started);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const written = useRef<string | null>(null);

  const snapshot = viewer.snapshot();
  const channels = snapshot.channels;
  const storedText = JSON.stringify(snapshot.transforms);

  // Transforms restored with a session (or set by someone else): load them into the form and the layer.
  useEffect(() => {
    if (storedText === written.current) return;
    written.current = storedText;
    const stored = JSON.parse(storedText) as TransformEntry[];
    const loaded = draftsFromEntries(stored);
    setDrafts(loaded.drafts);
    setKept(loaded.kept);
    if (JSON.stringify(hub.entries) !== storedText) hub.setEntries(stored);
    if (loaded.kept.length > 0) setNotice(`${loaded.kept.length} stored transform(s) cannot be edited here; they are kept as they are.`);
  }, [storedText, hub]);

  // Progress and cache statistics from the manager's events.
  useEffect(() => {
    if (!managerOn) return;
    const manager = hub.manager();
    setStats(manager.stats());
    // Jobs queued or running (the manager reports an end before its own counters change).
    const active = new Set<string>();
    return manager.on((e) => {
      if (e.type === 'queued' || e.type === 'started') active.add(e.key);
      if (e.type === 'progress') setProgress({ done: e.done, total: e.total });
      else if (e.type === 'started') setProgress({ done: 0, total: 1 });
      if (e.type === 'done' || e.type === 'cancelled' || e.type === 'failed') {
        active.delete(e.key);
        if (active.size === 0) setProgress(null);
      }
      setStats(manager.stats());
      if (e.type === 'failed') setError(`A transform failed: ${e.message}`);
    });
  }, [hub, managerOn]);

  const list = drafts[target] ?? [];
  const problem = checkDrafts(drafts, (c) => channels.find((x) => x.index === c)?.name ?? `channel ${c}`);
  const setList = (next: OpDraft[]): void => setDrafts((d) => ({ ...d, [target]: next }));

  function apply(): void {
    if (problem) return;
    setError(null);
    setNotice(null);
    const entries = entriesFromDrafts(drafts, kept);
    try {
      hub.manager();
      setManagerOn(true);
    } catch (err) {
      setError(`Resampled transforms are unavailable: ${errorText(err)} Rigid transforms still show.`);
    }
    written.current = JSON.stringify(entries);
    viewer.restore({ transforms: entries });
    hub.setEntries(entries);
    setNotice(entries.length === 0 ? 'No transforms: the data show as they are.' : `${entries.length} transform(s) applied; choose the "Transformed volume" layer in 3D to see them.`);
  }

  function cancel(): void {
    hub.cancel();
    setProgress(null);
    setNotice('Computation cancelled; the preview stays. Apply again to compute.');
  }

  const targetLabel = (t: Target): string => (t === 'all' ? 'All channels' : (channels.find((c) => c.index === t)?.name ?? `Channel ${t}`));
  const percent = progress && progress.total > 0 ? Math.round((100 * progress.done) / progress.total) : 0;

  return (
    <section className="fv-panel" aria-label="Transforms">
      <h2>Transforms</h2>
      <label>
        Channel
        <select value={String(target)} onChange={(e) => setTarget(e.target.value === 'all' ? 'all' : Number(e.target.value))}>
          <option value="all">All channels</option>
          {channels.map((c) => (
            <option key={c.index} value={c.index}>
              {c.name || `Channel ${c.index}`}
            </option>
          ))}
        </select>
      </label>
      <ol aria-label={`Transforms of ${targetLabel(target)}`}>
        {list.map((d, i) => (
          <li key={i}>
            <fieldset>
              <legend>{`${i + 1}. ${draftLabel(d)}`}</legend>
              <DraftFields draft={d} onChange={(next) => setList(list.map((x, j) => (j === i ? next : x)))} />
              <button type="button" aria-label={`Remove step ${i + 1}`} onClick={() => setList(list.filter((_, j) => j !== i))}>
                Remove
              </button>
            </fieldset>
          </li>
        ))}
      </ol>
      {list.length === 0 && <p>{`No transforms for ${targetLabel(target)}.`}</p>}
      <div>
        <label>
          Operation
          <select value={adding} onChange={(e) => setAdding(e.target.value as DraftOpName)}>
            {DRAFT_OPS.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => setList([...list, defaultDraft(adding)])}>
          Add
        </button>
      </div>
      {problem !== null && <p role="alert">{problem}</p>}
      <div>
        <button type="button" onClick={apply} disabled={problem !== null}>
          Apply
        </button>
        <button type="button" onClick={cancel} disabled={progress === null}>
          Cancel
        </button>
      </div>
      <progress aria-label="Transform progress" max={100} value={percent} />
      <p role="status">{progress ? `Computing: ${progress.done} of ${progress.total} slabs` : 'Idle'}</p>
      <p aria-label="Cache statistics">{cacheStatsText(stats)}</p>
      {notice !== null && <p>{notice}</p>}
      {error !== null && <p role="alert">{error}</p>}
    </section>
  );
}
