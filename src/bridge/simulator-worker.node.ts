/**
 * Worker-thread body of the bridge's built-in simulator (Node): starts the simulator with
 * the options in `workerData`, posts `{ ready, host, port, livePort }`, and closes it when
 * told `'close'` (posting `{ closed: true }`). Frame synthesis thus never competes with the
 * bridge's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startSimulator, type SimulatorOptions } from '../acquisition/simulator/server.ts';

const sim = await startSimulator(workerData as SimulatorOptions);
parentPort!.postMessage({ ready: true, host: sim.host, port: sim.port, livePort: sim.livePort });
parentPort!.on('message', (m: unknown) => {
  if (m !== 'close') return;
  void sim.close().finally(() => {
    parentPort!.postMessage({ closed: true });
    parentPort!.close();
  });
});
