/**
 * The Benchmark panel: runs the transform reference suite in a worker (the page stays
 * responsive), with the reference dialog's options (sizes, iterations, warm-up, FAST/QUALITY/both,
 * workers, tests), a progress bar, Cancel, a results table and a bar chart (mean ± std), CSV and
 * JSON downloads (the same files as `flamingo-viv bench`), and a previous run loaded from a file
 * as the baseline of a comparison (ratio, noise band and verdict per test in the table).
 * The earlier suites (ingest, write) need Node (TCP, the file system) and are not offered here.
 *
 * @example
 * <BenchmarkPanel backend={backend} viewer={viewer} />
 * // tests and stories: <BenchmarkPanel … createWorker={() => new Worker('/bench-worker.js', { type: 'module' })} sizes={[8, 16]} />
 */
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type { ChangeEvent, ReactElement } from 'react';
import { parseRunFile } from '../bench/export.ts';
import type { BenchmarkRun } from '../bench/results.ts';
import type { SuiteProgress, SuiteRun } from '../bench/runner.ts';
import { TEST_NAMES, type TestName } from '../bench/suite.ts';
import type { ModeChoice } from '../bench/runner.ts';
import { BenchClient } from './benchmark-client.ts';
import { BENCH_SIZES, benchBars, benchFiles, benchRows, checkBenchForm, defaultBenchForm, type BenchForm } from './benchmark-view.ts';
import { errorText } from './live-state.ts';
import type { PanelProps } from './types.ts';

export interface BenchmarkPanelProps extends Partial<PanelProps> {
  /** Starts the benchmark worker (default: `src/bench/bench.worker.ts` as the bundler resolves it). */
  createWorker?: () => Worker;
  /** URL of the transform pool's worker, for runs with more than one worker (default: the bundler's). */
  transformWorkerUrl?: string;
  /** The sizes offered (default 100, 200, 300). */
  sizes?: readonly number[];
}

const CHART_WIDTH = 260;
const ROW = 18;
const LABEL_WIDTH = 200;

function useBlobUrl(text: string | null, type: string): string | null {
  const url = useMemo(() => (text === null ? null : URL.createObjectURL(new Blob([text], { type }))), [text, type]);
  useEffect(() => () => {
    if (url !== null) URL.revokeObjectURL(url);
  }, [url]);
  return url;
}

export function BenchmarkPanel({ createWorker, transformWorkerUrl, sizes = BENCH_SIZES }: BenchmarkPanelProps): ReactElement {
  const ids = useId();
  const cores = typeof navigator === 'undefined' ? 1 : navigator.hardwareConcurrency || 1;
  // A worker pool needs SharedArrayBuffer (a cross-origin isolated page); else the kernels run in the benchmark worker.
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const [form, setForm] = useState<BenchForm>(() => ({ ...defaultBenchForm(isolated ? cores : 1), sizes: [sizes.includes(200) ? 200 : sizes[0]!] }));
  const [running, setRunning] = useState(false);
  const [progress, setProgress] = useState<SuiteProgress | null>(null);
  const [run, setRun] = useState<SuiteRun | null>(null);
  const [baseline, setBaseline] = useState<{ run: BenchmarkRun; name: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const client = useRef<BenchClient | null>(null);

  useEffect(
    () => () => {
      client.current?.close();
      client.current = null;
    },
    [],
  );

  const checked = checkBenchForm(form);
  const files = useMemo(() => (run && run.results.length > 0 ? benchFiles(run) : null), [run]);
  const csvUrl = useBlobUrl(files?.csv ?? null, 'text/csv');
  const jsonUrl = useBlobUrl(files?.json ?? null, 'application/json');
  const shown: BenchmarkRun | null = run ?? baseline?.run ?? null;
  const rows = useMemo(() => {
    if (!shown) return [];
    try {
      return benchRows(shown, run && baseline ? baseline.run : null);
    } catch {
      return benchRows(shown, null);
    }
  }, [shown, run, baseline]);
  const chart = useMemo(() => benchBars(shown?.results ?? [], CHART_WIDTH, ROW), [shown]);
  const compared = run !== null && baseline !== null;

  async function start(): Promise<void> {
    if (!checked.ok || running) return;
    setError(null);
    setRunning(true);
    setProgress(null);
    try {
      client.current ??= BenchClient.inWorker(createWorker);
      const appVersion = '0.1.0';
      const result = await client.current.run({ ...checked.options, appVersion, ...(transformWorkerUrl ? { transformWorkerUrl } : {}) }, (p) => setProgress(p));
      setRun(result);
    } catch (err) {
      setError(`The benchmark failed: ${errorText(err)}`);
    } finally {
      setRunning(false);
    }
  }

  async function load(e: ChangeEvent<HTMLInputElement>): Promise<void> {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    setError(null);
    try {
      const parsed = parseRunFile(new Uint8Array(await file.arrayBuffer()), file.name);
      setBaseline({ run: parsed, name: file.name });
    } catch (err) {
      setError(`${file.name} cannot be loaded: ${errorText(err)}`);
    }
  }

  const set = (patch: Partial<BenchForm>): void => setForm((f) => ({ ...f, ...patch }));
  const toggle = <T,>(list: readonly T[], v: T, on: boolean): T[] => (on ? [...list.filter((x) => x !== v), v] : list.filter((x) => x !== v));
  const percent = running ? Math.round(100 * (progress?.fraction ?? 0)) : run ? 100 : 0;
  const statusText = running
    ? (progress?.status ?? 'Starting the benchmark worker…')
    : run
      ? run.cancelled
        ? `Cancelled: ${run.results.length} test(s) done.`
        : `Complete: ${run.results.length} result(s).`
      : 'Not run yet.';

  return (
    <section className="fv-panel" aria-label="Benchmark">
      <h2>Benchmark</h2>
      <fieldset disabled={running}>
        <legend>Volume sizes</legend>
        {sizes.map((n) => (
          <label key={n}>
            <input type="checkbox" checked={form.sizes.includes(n)} onChange={(e) => set({ sizes: toggle(form.sizes, n, e.target.checked) })} />
            {`${n}³`}
          </label>
        ))}
      </fieldset>
      <fieldset disabled={running}>
        <legend>Runs</legend>
        <label>
          Iterations
          <input type="number" min={1} max={100} value={form.iterations} onChange={(e) => set({ iterations: Number(e.target.value) })} />
        </label>
        <label>
          Warm-up runs
          <input type="number" min={0} max={20} value={form.warmup} onChange={(e) => set({ warmup: Number(e.target.value) })} />
        </label>
        <label>
          Mode
          <select value={form.mode} onChange={(e) => set({ mode: e.target.value as ModeChoice })}>
            <option value="FAST">Fast</option>
            <option value="QUALITY">Quality</option>
            <option value="both">Both</option>
          </select>
        </label>
        <label>
          Workers
          <input type="number" min={1} max={64} value={form.workers} onChange={(e) => set({ workers: Number(e.target.value) })} />
        </label>
      </fieldset>
      <fieldset disabled={running}>
        <legend>Tests</legend>
        {TEST_NAMES.map((t: TestName) => (
          <label key={t}>
            <input type="checkbox" checked={form.tests.includes(t)} onChange={(e) => set({ tests: toggle(form.tests, t, e.target.checked) })} />
            {t}
          </label>
        ))}
      </fieldset>
      {!checked.ok && <p role="alert">{checked.error}</p>}
      <div>
        <button type="button" onClick={() => void start()} disabled={running || !checked.ok}>
          Run benchmark
        </button>
        <button type="button" onClick={() => void client.current?.cancel()} disabled={!running}>
          Cancel
        </button>
      </div>
      <progress id={`${ids}-progress`} aria-label="Benchmark progress" max={100} value={percent} />
      <p role="status" aria-live="polite">
        {statusText}
      </p>
      {error !== null && <p role="alert">{error}</p>}
      <div>
        <label>
          Load a previous run (JSON or CSV)
          <input type="file" accept=".json,.csv,application/json,text/csv" onChange={(e) => void load(e)} />
        </label>
        {baseline !== null && <p>{`Baseline: ${baseline.name} (${baseline.run.timestamp}, ${baseline.run.results.length} result(s))${run ? '' : '. Run the benchmark to compare.'}`}</p>}
      </div>
      {files !== null && csvUrl !== null && jsonUrl !== null && (
        <p>
          <a href={csvUrl} download={files.csvName}>
            Export CSV
          </a>{' '}
          <a href={jsonUrl} download={files.jsonName}>
            Export JSON
          </a>
        </p>
      )}
      {shown !== null && rows.length > 0 && (
        <>
          <table aria-label="Benchmark results">
            <caption>{run ? `Run of ${run.timestamp}` : `Loaded run of ${shown.timestamp}`}</caption>
            <thead>
              <tr>
                <th scope="col">Test</th>
                <th scope="col">Size</th>
                <th scope="col">Iterations</th>
                <th scope="col">Mean (ms)</th>
                <th scope="col">Std (ms)</th>
                <th scope="col">Min (ms)</th>
                <th scope="col">Max (ms)</th>
                <th scope="col">Median (ms)</th>
                <th scope="col">Voxels/s</th>
                {compared && (
                  <>
                    <th scope="col">Baseline (ms)</th>
                    <th scope="col">Ratio</th>
                    <th scope="col">Noise band</th>
                    <th scope="col">Verdict</th>
                  </>
                )}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={`${r.name}|${r.size}`}>
                  <th scope="row">{r.name}</th>
                  <td>{r.size}</td>
                  <td>{r.iterations}</td>
                  <td>{r.mean}</td>
                  <td>{r.std}</td>
                  <td>{r.min}</td>
                  <td>{r.max}</td>
                  <td>{r.median}</td>
                  <td>{r.throughput}</td>
                  {compared && (
                    <>
                      <td>{r.baseline}</td>
                      <td>{r.ratio}</td>
                      <td>{r.band}</td>
                      <td>{r.verdict}</td>
                    </>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          <svg role="img" aria-label="Mean time per test in ms, with ± one standard deviation" width={LABEL_WIDTH + CHART_WIDTH + 70} height={chart.bars.length * ROW + 4}>
            {chart.bars.map((b) => (
              <g key={`${b.label}-${b.y}`} transform={`translate(0, ${b.y})`}>
                <text x={LABEL_WIDTH - 4} y={ROW - 5} textAnchor="end" fontSize={11}>
                  {b.label}
                </text>
                <rect x={LABEL_WIDTH} y={3} width={Math.max(1, b.width)} height={ROW - 6} fill="#4a7bd0">
                  <title>{`${b.label}: ${b.mean.toFixed(2)} ± ${b.std.toFixed(2)} ms`}</title>
                </rect>
                <line x1={LABEL_WIDTH + b.lo} x2={LABEL_WIDTH + b.hi} y1={ROW / 2} y2={ROW / 2} stroke="#222" />
                <text x={LABEL_WIDTH + b.hi + 4} y={ROW - 5} fontSize={11}>
                  {b.mean.toFixed(1)}
                </text>
              </g>
            ))}
          </svg>
        </>
      )}
      {run !== null && run.warnings.length > 0 && (
        <ul aria-label="Benchmark warnings">
          {run.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
    </section>
  );
}
