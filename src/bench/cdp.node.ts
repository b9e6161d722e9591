/**
 * A minimal headless-Chromium driver over the DevTools protocol, for benchmarks: it launches
 * Chromium with a private profile, attaches to its page and uses only the `Page` and `Runtime`
 * domains. Test drivers (Playwright) also enable the `Network` domain, which makes Chromium
 * base64-encode every WebSocket frame for the driver — at 40 frames/s of megabyte planes that
 * costs more CPU than the viewer itself, in Chromium and in the process that reads the
 * protocol, and would be measured as the pipeline's.
 *
 * @example
 * const chrome = await launchChromium({ executable: '/usr/bin/chromium', width: 1280, height: 900 });
 * await chrome.goto('http://127.0.0.1:8600/?token=…');
 * const title = await chrome.evaluate<string>('document.title');
 * await chrome.close();
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';

export interface ChromiumOptions {
  executable: string;
  width: number;
  height: number;
  /** Extra command-line flags. */
  args?: readonly string[];
  /** How long Chromium may take to start (default 60 s). */
  startTimeoutMs?: number;
}

export interface ChromiumPage {
  /** Navigates and waits for the load event. */
  goto(url: string): Promise<void>;
  /** Evaluates `expression` in the page (promises awaited); returns its JSON value or throws the page's error. */
  evaluate<T>(expression: string): Promise<T>;
  /** Evaluates `expression` every `intervalMs` until it is truthy; throws `what` after `timeoutMs`. */
  waitFor<T>(expression: string, what: string, timeoutMs?: number, intervalMs?: number): Promise<T>;
  /** Uncaught page errors so far. */
  readonly errors: readonly string[];
  /** Chromium's process id, also its process group's (its children share it); gone once `close()` resolves. */
  readonly pid: number;
  close(): Promise<void>;
}

interface Reply {
  id?: number;
  method?: string;
  params?: { exceptionDetails?: { exception?: { description?: string }; text?: string } };
  result?: { result?: { value?: unknown }; exceptionDetails?: { exception?: { description?: string }; text?: string } };
  error?: { message: string };
}

export async function launchChromium(options: ChromiumOptions): Promise<ChromiumPage> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'fv-chromium-'));
  const child = spawn(
    options.executable,
    ['--headless', '--remote-debugging-port=0', `--user-data-dir=${profile}`, `--window-size=${options.width},${options.height}`, '--no-first-run', '--no-default-browser-check', ...(options.args ?? []), 'about:blank'],
    // Its own process group, so that its CPU time can be summed and all of it stopped at once.
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  const cleanup = (): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    rmSync(profile, { recursive: true, force: true });
  };
  try {
    const endpoint = await new Promise<string>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error(`Chromium (${options.executable}) did not open its DevTools endpoint within ${(options.startTimeoutMs ?? 60_000) / 1000} s.`)), options.startTimeoutMs ?? 60_000);
      child.once('error', (err) => reject(new Error(`Chromium (${options.executable}) could not be started: ${err.message}`)));
      child.once('exit', (code) => reject(new Error(`Chromium exited (code ${code}) before it was ready: ${text.slice(-300)}`)));
      child.stderr!.on('data', (d: Buffer) => {
        text += d.toString();
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(text);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    const port = new URL(endpoint).port;
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{ type: string; webSocketDebuggerUrl: string }>;
    const target = targets.find((t) => t.type === 'page');
    if (!target) throw new Error('Chromium opened no page to attach to.');
    const ws = new WebSocket(target.webSocketDebuggerUrl, { maxPayload: 256 * 2 ** 20 });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    let nextId = 1;
    const waiting = new Map<number, (r: Reply) => void>();
    const events = new Map<string, Array<() => void>>();
    const errors: string[] = [];
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Reply;
      if (m.id !== undefined) {
        waiting.get(m.id)?.(m);
        waiting.delete(m.id);
      } else if (m.method === 'Runtime.exceptionThrown') {
        const d = m.params?.exceptionDetails;
        errors.push(d?.exception?.description ?? d?.text ?? 'unknown page error');
      } else if (m.method) {
        for (const f of events.get(m.method)?.splice(0) ?? []) f();
      }
    });
    const send = (method: string, params: Record<string, unknown> = {}): Promise<Reply> =>
      new Promise((resolve, reject) => {
        if (ws.readyState !== WebSocket.OPEN) {
          reject(new Error(`The DevTools connection is closed ('${method}' not sent).`));
          return;
        }
        const id = nextId++;
        waiting.set(id, resolve);
        ws.send(JSON.stringify({ id, method, params }));
      });
    const once = (event: string): Promise<void> => new Promise((resolve) => events.set(event, [...(events.get(event) ?? []), resolve]));
    await send('Page.enable');
    await send('Runtime.enable');
    const page: ChromiumPage = {
      errors,
      pid: child.pid ?? -1,
      async goto(url) {
        const loaded = once('Page.loadEventFired');
        const r = await send('Page.navigate', { url });
        if (r.error) throw new Error(`Chromium could not open ${url}: ${r.error.message}`);
        await loaded;
      },
      async evaluate<T>(expression: string): Promise<T> {
        const r = await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
        const ex = r.result?.exceptionDetails;
        if (r.error || ex) throw new Error(`In the page: ${r.error?.message ?? ex?.exception?.description ?? ex?.text ?? 'evaluation failed'}`);
        return r.result?.result?.value as T;
      },
      async waitFor<T>(expression: string, what: string, timeoutMs = 60_000, intervalMs = 100): Promise<T> {
        const until = Date.now() + timeoutMs;
        for (;;) {
          const v = await page.evaluate<T>(expression);
          if (v) return v;
          if (Date.now() > until) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s${errors.length > 0 ? ` (page errors: ${errors.slice(-3).join(' | ')})` : ''}.`);
          await new Promise((r) => setTimeout(r, intervalMs));
        }
      },
      async close() {
        ws.close();
        const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve()));
        cleanup();
        await exited;
      },
    };
    return page;
  } catch (err) {
    cleanup();
    throw err;
  }
}
