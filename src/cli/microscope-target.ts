/**
 * `--microscope HOST:PORT|sim`: a real microscope's address, or a built-in simulator
 * started on a free loopback port for the duration of the command.
 */
import type { RunningSimulator, SimulatorOptions } from '../acquisition/simulator/server.ts';
import { parseHostPort } from './parse-values.ts';

export interface MicroscopeTarget {
  host: string;
  port: number;
  /** The simulator started for this command, if `sim` was given. */
  simulator: RunningSimulator | null;
  /** Stops what the target started. */
  release: () => Promise<void>;
}

export async function openMicroscopeTarget(
  value: string,
  simOptions: SimulatorOptions = {},
): Promise<MicroscopeTarget> {
  if (value === 'sim') {
    const { startSimulator } = await import('../acquisition/simulator/server.ts');
    const simulator = await startSimulator({ ...simOptions, host: '127.0.0.1', port: 0 });
    return { host: simulator.host, port: simulator.port, simulator, release: () => simulator.close() };
  }
  const { host, port } = parseHostPort('--microscope', value);
  return { host, port, simulator: null, release: async () => {} };
}
