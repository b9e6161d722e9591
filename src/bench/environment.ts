/**
 * What a benchmark run records about where it ran (specs/benchmark.md §6, §8.3): runtime and
 * versions, platform, cores, cross-origin isolation, the measured timer resolution, feature
 * tests, and the one-time setup time. Pure (reads only globals that exist in browsers, workers
 * and Node); the Node command adds `os` facts through `environment.node.ts`.
 *
 * @example
 * const env = describeEnvironment({ appVersion: '0.3.0', setupMs: 27.4 });
 * // { runtime: 'browser', versions: { flamingo_viv: '0.3.0', user_agent: 'Mozilla/5.0 …' },
 * //   hardware_concurrency: 2, cross_origin_isolated: true, timer_resolution_ms: 0.005, … }
 */

export type BenchRuntime = 'browser' | 'node' | 'python';

export interface BenchmarkEnvironment {
  runtime: BenchRuntime;
  /** browser: flamingo_viv, user_agent; node: flamingo_viv, node, v8; python: python, numpy, scipy. */
  versions: Record<string, string>;
  platform: string;
  hardware_concurrency: number;
  cross_origin_isolated: boolean | null;
  timer_resolution_ms: number;
  shared_array_buffer: boolean | null;
  wasm_simd: boolean | null;
  setup_ms: number | null;
}

/**
 * The smallest positive difference between consecutive `now()` readings, over at least 1000
 * readings (more, up to `maxMs`, until a few ticks have been seen on a coarse clock).
 */
export function measureTimerResolution(now: () => number = () => performance.now(), maxMs = 50): number {
  let best = Infinity;
  let ticks = 0;
  let prev = now();
  const start = prev;
  for (let i = 0; i < 1000 || (ticks < 5 && prev - start < maxMs); i++) {
    const t = now();
    const d = t - prev;
    if (d > 0) {
      ticks++;
      if (d < best) best = d;
    }
    prev = t;
  }
  return Number.isFinite(best) ? best : maxMs;
}

/** A tiny module whose one function returns `i8x16.splat(0)`: valid only where SIMD is supported. */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x08, 0x01,
  0x06, 0x00, 0x41, 0x00, 0xfd, 0x0f, 0x0b,
]);

export function hasWasmSimd(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

interface NodeLike {
  versions?: { node?: string; v8?: string };
  platform?: string;
  arch?: string;
}

function nodeProcess(): NodeLike | null {
  const p = (globalThis as { process?: NodeLike }).process;
  return p?.versions?.node ? p : null;
}

interface NavigatorLike {
  userAgent?: string;
  platform?: string;
  hardwareConcurrency?: number;
}

export interface DescribeOptions {
  appVersion: string;
  /** One-time setup (spawning workers, compiling WebAssembly), ms; null when none. */
  setupMs?: number | null;
  /** Measured once per run; measured here when absent. */
  timerResolutionMs?: number;
  /** Cores when the runtime cannot tell (Node 20 has no `navigator`); 1 when unknown. */
  hardwareConcurrency?: number;
}

/** The environment of the runtime this code runs in (browser, worker or Node). */
export function describeEnvironment(options: DescribeOptions): BenchmarkEnvironment {
  const node = nodeProcess();
  const nav = (globalThis as { navigator?: NavigatorLike }).navigator;
  const timer = options.timerResolutionMs ?? measureTimerResolution();
  const sab = typeof SharedArrayBuffer === 'function';
  const cores = options.hardwareConcurrency ?? nav?.hardwareConcurrency ?? 1;
  if (node) {
    return {
      runtime: 'node',
      versions: { flamingo_viv: options.appVersion, node: node.versions?.node ?? '', v8: node.versions?.v8 ?? '' },
      platform: `${node.platform ?? 'unknown'}-${node.arch ?? 'unknown'}`,
      hardware_concurrency: cores,
      cross_origin_isolated: null,
      timer_resolution_ms: timer,
      shared_array_buffer: sab,
      wasm_simd: hasWasmSimd(),
      setup_ms: options.setupMs ?? null,
    };
  }
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  return {
    runtime: 'browser',
    versions: { flamingo_viv: options.appVersion, user_agent: nav?.userAgent ?? '' },
    platform: nav?.platform ?? '',
    hardware_concurrency: cores,
    cross_origin_isolated: typeof isolated === 'boolean' ? isolated : false,
    timer_resolution_ms: timer,
    shared_array_buffer: sab,
    wasm_simd: hasWasmSimd(),
    setup_ms: options.setupMs ?? null,
  };
}

/**
 * The CSV `runtime_version` (§8.3): the browser's product and version from its user agent
 * (e.g. `Chromium 156` for any Chromium-based browser, as the spec's example writes it), the Node
 * version, or the scipy version.
 */
export function runtimeVersion(env: BenchmarkEnvironment): string {
  const v = env.versions;
  if (env.runtime === 'node') return v['node'] ?? '';
  if (env.runtime === 'python') return v['scipy'] ?? '';
  const ua = v['user_agent'] ?? '';
  for (const [re, name] of [
    [/Edg\/(\d+)/, 'Edge'],
    [/Firefox\/(\d+)/, 'Firefox'],
    [/Chromium\/(\d+)/, 'Chromium'],
    [/HeadlessChrome\/(\d+)/, 'Chromium'],
    [/Chrome\/(\d+)/, 'Chromium'],
    [/Version\/(\d+)[^ ]* Safari/, 'Safari'],
  ] as const) {
    const m = re.exec(ua);
    if (m) return `${name} ${m[1]}`;
  }
  return ua;
}
