/**
 * The bridge's built-in simulator on its own worker thread (Node), so that synthesising
 * camera frames never stalls the bridge (and a busy bridge never makes the simulated
 * camera drop frames). Same servers and protocol as `startSimulator`.
 *
 * @example
 * const sim = await startSimulatorThread({ frameWidth: 2048, frameHeight: 2048 });
 * const scope = new FlamingoConnector({ host: sim.host, port: sim.port });
 * await sim.close();
 */
import { Worker } from 'node:worker_threads';
import type { SimulatorOptions } from '../acquisition/simulator/server.ts';
import { workerCode } from './worker-code.ts';

export interface SimulatorThread {
  readonly host: string;
  readonly port: number;
  readonly livePort: number;
  close(): Promise<void>;
}

/** Starts the simulator (host 127.0.0.1 and a free port unless given) on a worker thread. */
export function startSimulatorThread(options: SimulatorOptions = {}): Promise<SimulatorThread> {
  const worker = new Worker(workerCode(new URL('./simulator-worker.node.ts', import.meta.url)), { eval: true, workerData: { host: '127.0.0.1', port: 0, ...options, log: undefined } });
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(new Error(`The simulator thread failed to start: ${err.message}`, { cause: err }));
    const onExit = (code: number): void => reject(new Error(`The simulator thread exited with code ${code} before it was ready.`));
    worker.once('error', onError);
    worker.once('exit', onExit);
    worker.once('message', (m: { ready?: boolean; host: string; port: number; livePort: number }) => {
      worker.off('error', onError);
      worker.off('exit', onExit);
      if (!m.ready) return;
      let closing: Promise<void> | null = null;
      resolve({
        host: m.host,
        port: m.port,
        livePort: m.livePort,
        close() {
          closing ??= new Promise<void>((done) => {
            const timer = setTimeout(() => void worker.terminate().then(() => done()), 5000);
            worker.once('exit', () => {
              clearTimeout(timer);
              done();
            });
            worker.postMessage('close');
          });
          return closing;
        },
      });
    });
  });
}
