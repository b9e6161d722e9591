/**
 * The acquisition panel: connect to the simulator or a microscope address, read and move the
 * stage, toggle the live view, fill in a z-stack or tile plan (with a time and size estimate),
 * start and stop it, and watch progress and the counters (a `role="status"` region).
 * Every failure is shown in the panel; nothing here throws into the page.
 *
 * @example
 * <AcquisitionPanel backend={backend} viewer={viewer} />
 */
import { useId, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { FormEvent, ReactElement } from 'react';
import type { StagePosition } from '../acquisition/connector.ts';
import type { PanelProps } from './types.ts';
import { countersText, errorText, useLiveState } from './live-state.ts';
import { checkPlanForm, defaultPlanForm, estimatePlan, formatBytes, formatDuration } from './plan-form.ts';
import type { PlanFormState } from './plan-form.ts';

const DEFAULT_LASERS = [405, 488, 561, 640];
const AXES: ReadonlyArray<{ key: keyof StagePosition; label: string; unit: string }> = [
  { key: 'xMm', label: 'X', unit: 'mm' },
  { key: 'yMm', label: 'Y', unit: 'mm' },
  { key: 'zMm', label: 'Z', unit: 'mm' },
  { key: 'rDeg', label: 'R', unit: '°' },
];

export function AcquisitionPanel({ backend, viewer }: PanelProps): ReactElement {
  const [live, fold] = useLiveState(backend);
  const ids = useId();
  const [target, setTarget] = useState<'sim' | 'address'>('sim');
  const [address, setAddress] = useState('127.0.0.1:53717');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [liveView, setLiveView] = useState(false);
  const [move, setMove] = useState<Record<keyof StagePosition, string>>({ xMm: '', yMm: '', zMm: '', rDeg: '' });
  const lasers = live.microscope?.info.lasers.map((l) => l.wavelengthNm) ?? DEFAULT_LASERS;
  const [form, setForm] = useState<PlanFormState>(() => defaultPlanForm({ lasers: DEFAULT_LASERS }));
  const checked = useMemo(() => checkPlanForm(form), [form]);
  const camera = live.microscope?.info ?? { width: 2048, height: 2048 };
  const estimate = checked.ok ? estimatePlan(checked.request, camera) : null;
  const connected = live.microscope !== null;
  // The plan starts at the stage's Z once per connection: after Connect here, or when this page
  // opens on a backend that is connected already (a second tab on the bridge). A layout effect,
  // so that Start is never clickable with the form still at the default Z.
  const planAtStage = useRef(false);
  const stageZ = connected ? (live.position?.zMm ?? null) : null;
  useLayoutEffect(() => {
    if (!connected) planAtStage.current = false;
    if (stageZ === null || planAtStage.current) return;
    planAtStage.current = true;
    setForm((f) => ({ ...defaultPlanForm({ zMm: stageZ, lasers: f.lasers.length > 0 ? f.lasers : lasers }), name: f.name }));
  }, [connected, stageZ, lasers]);

  async function run(label: string, action: () => Promise<void>): Promise<void> {
    setBusy(label);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(`${label} failed: ${errorText(err)}`);
    } finally {
      setBusy(null);
    }
  }

  const connect = (): Promise<void> =>
    run('Connect', async () => {
      const microscope = target === 'sim' ? 'sim' : address.trim();
      const info = await backend.connect({ microscope });
      fold({ type: 'connected', info, microscope });
      fold({ type: 'position', position: await backend.getPosition() });
    });

  const moveStage = (e: FormEvent): Promise<void> => {
    e.preventDefault();
    return run('Move', async () => {
      const t: Partial<StagePosition> = {};
      for (const a of AXES) {
        const text = move[a.key].trim();
        if (text === '') continue;
        const v = Number(text);
        if (!Number.isFinite(v)) throw new Error(`${a.label} must be a number, got '${text}'.`);
        t[a.key] = v;
      }
      if (Object.keys(t).length === 0) throw new Error('Enter a target for at least one axis.');
      fold({ type: 'position', position: await backend.moveTo(t) });
    });
  };

  const start = (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (!checked.ok) return Promise.resolve();
    return run('Start acquisition', async () => {
      const session = await backend.startAcquisition(checked.request);
      fold({ type: 'session', session });
      viewer.show({ kind: 'session', session });
    });
  };

  const toggleLiveView = (): Promise<void> =>
    run(liveView ? 'Stop live view' : 'Start live view', async () => {
      if (liveView) await backend.stopLiveView();
      else await backend.startLiveView();
      setLiveView(!liveView);
    });

  const c = live.counters;
  const pos = live.position;
  const set = (patch: Partial<PlanFormState>): void => setForm((f) => ({ ...f, ...patch }));
  const toggle = <T,>(list: T[], v: T): T[] => (list.includes(v) ? list.filter((x) => x !== v) : [...list, v]);

  return (
    <section className="fv-panel" aria-labelledby={`${ids}-h`}>
      <h2 id={`${ids}-h`}>Acquisition</h2>

      <fieldset>
        <legend>Microscope</legend>
        <label>
          <input type="radio" name={`${ids}-target`} checked={target === 'sim'} onChange={() => setTarget('sim')} disabled={connected} /> Simulator
        </label>
        <label>
          <input type="radio" name={`${ids}-target`} checked={target === 'address'} onChange={() => setTarget('address')} disabled={connected} /> Address
        </label>
        <label>
          Microscope address
          <input value={address} onChange={(e) => setAddress(e.target.value)} disabled={connected || target !== 'address'} placeholder="HOST:PORT" />
        </label>
        {connected ? (
          <button type="button" onClick={() => void run('Disconnect', () => backend.disconnect())} disabled={busy !== null || live.acquiring}>
            Disconnect
          </button>
        ) : (
          <button type="button" onClick={() => void connect()} disabled={busy !== null}>
            Connect
          </button>
        )}
        <p>{connected ? `Connected to ${live.microscope?.info.name ?? ''} (${live.microscope?.name ?? ''})` : 'Not connected'}</p>
      </fieldset>

      <fieldset disabled={!connected}>
        <legend>Stage</legend>
        <dl aria-label="Stage position">
          {AXES.map((a) => (
            <div key={a.key}>
              <dt>{a.label}</dt>
              <dd>{pos === null ? '–' : `${pos[a.key].toFixed(3)} ${a.unit}`}</dd>
            </div>
          ))}
        </dl>
        <form onSubmit={(e) => void moveStage(e)}>
          {AXES.map((a) => (
            <label key={a.key}>
              {`Move ${a.label} (${a.unit})`}
              <input inputMode="decimal" value={move[a.key]} onChange={(e) => setMove({ ...move, [a.key]: e.target.value })} size={7} />
            </label>
          ))}
          <button type="submit" disabled={busy !== null || live.acquiring}>
            Move stage
          </button>
        </form>
        <button type="button" aria-pressed={liveView} onClick={() => void toggleLiveView()} disabled={busy !== null || live.acquiring}>
          Live view
        </button>
      </fieldset>

      <form aria-label="Acquisition plan" onSubmit={(e) => void start(e)}>
        <fieldset disabled={!connected || live.acquiring}>
          <legend>Plan</legend>
          <label>
            Plan kind
            <select value={form.kind} onChange={(e) => set({ kind: e.target.value === 'tile' ? 'tile' : 'zstack' })}>
              <option value="zstack">Z-stack</option>
              <option value="tile">Tile scan</option>
            </select>
          </label>
          <label>
            Session name
            <input value={form.name} onChange={(e) => set({ name: e.target.value })} placeholder="automatic" />
          </label>
          <label>
            Start Z (mm)
            <input inputMode="decimal" value={form.zStartMm} onChange={(e) => set({ zStartMm: e.target.value })} size={7} />
          </label>
          <label>
            End Z (mm)
            <input inputMode="decimal" value={form.zEndMm} onChange={(e) => set({ zEndMm: e.target.value })} size={7} />
          </label>
          <label>
            Z step (µm)
            <input inputMode="decimal" value={form.stepUm} onChange={(e) => set({ stepUm: e.target.value })} size={5} />
          </label>
          <fieldset>
            <legend>Lasers</legend>
            {lasers.map((nm) => (
              <label key={nm}>
                <input type="checkbox" checked={form.lasers.includes(nm)} onChange={() => set({ lasers: toggle(form.lasers, nm).sort((a, b) => lasers.indexOf(a) - lasers.indexOf(b)) })} />
                {`${nm} nm`}
              </label>
            ))}
          </fieldset>
          <fieldset>
            <legend>Illumination sides</legend>
            {(['left', 'right'] as const).map((side) => (
              <label key={side}>
                <input type="checkbox" checked={form.sides.includes(side)} onChange={() => set({ sides: toggle(form.sides, side) })} />
                {side === 'left' ? 'Left' : 'Right'}
              </label>
            ))}
          </fieldset>
          {form.kind === 'tile' && (
            <>
              <label>
                Tiles in X
                <input inputMode="numeric" value={form.tilesX} onChange={(e) => set({ tilesX: e.target.value })} size={3} />
              </label>
              <label>
                Tiles in Y
                <input inputMode="numeric" value={form.tilesY} onChange={(e) => set({ tilesY: e.target.value })} size={3} />
              </label>
              <label>
                Overlap (%)
                <input inputMode="decimal" value={form.overlapPercent} onChange={(e) => set({ overlapPercent: e.target.value })} size={3} />
              </label>
            </>
          )}
          <p aria-label="Estimate">
            {estimate === null
              ? 'No estimate until the plan is valid.'
              : `${estimate.frames} frames (${estimate.planesPerStack} planes × ${estimate.channels} channels × ${estimate.tiles} tiles), about ${formatDuration(estimate.seconds)} at 40 frames/s, ${formatBytes(estimate.bytes)} before compression.`}
          </p>
          {!checked.ok && (
            <ul aria-label="Plan problems">
              {checked.errors.map((m) => (
                <li key={m}>{m}</li>
              ))}
            </ul>
          )}
        </fieldset>
        <button type="submit" disabled={!connected || live.acquiring || busy !== null || !checked.ok}>
          Start acquisition
        </button>
        <button type="button" onClick={() => void run('Stop', () => backend.stopAcquisition())} disabled={!live.acquiring}>
          Stop
        </button>
      </form>

      <label>
        Acquisition progress
        <progress max={Math.max(1, c.framesExpected)} value={Math.min(c.framesAcquired, Math.max(1, c.framesExpected))} />
      </label>
      <p role="status" aria-label="Counters">
        {countersText(c)}
      </p>
      {live.lastSummary !== null && (
        <p>{`Last acquisition ${live.lastSummary.outcome}: ${live.lastSummary.framesReceived} of ${live.lastSummary.framesExpected} frames in ${live.lastSummary.seconds.toFixed(1)} s.`}</p>
      )}
      {busy !== null && <p aria-live="polite">{`${busy}…`}</p>}
      {error !== null && <p role="alert">{error}</p>}
      {live.messages.filter((m) => m.level === 'error').slice(-1).map((m) => (
        <p key={m.message} role="alert">
          {m.message}
        </p>
      ))}
    </section>
  );
}
