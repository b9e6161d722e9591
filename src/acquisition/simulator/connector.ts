/**
 * `SimulatedConnector`: a `MicroscopeConnector` for the built-in simulator with no Node
 * imports, so it runs in a browser worker. It is the real Flamingo client
 * (`FlamingoProtocolConnector`) speaking real protocol bytes to the `SimulatorEngine`
 * over in-memory streams (`startMemorySimulator`): the same records, the same frame
 * headers, the same frame assignment as `FlamingoConnector` against the TCP simulator,
 * and, for the same seed, the same pixels.
 *
 * @example
 * const scope = new SimulatedConnector({ simulator: { seed: 1, frameWidth: 512, frameHeight: 512 } });
 * const info = await scope.connect();
 * const run = await scope.acquire(plan);
 * for await (const frame of run.frames) writer.write(frame);
 * await scope.close();   // also stops the simulator
 */
import { FlamingoProtocolConnector, type FlamingoConnectorOptions } from '../flamingo/protocol-connector.ts';
import { startMemorySimulator, type MemorySimulator, type MemorySimulatorOptions } from './memory-server.ts';

export interface SimulatedConnectorOptions extends Omit<FlamingoConnectorOptions, 'transport' | 'host' | 'port' | 'livePort'> {
  /** The simulator: seed, sensor size, time scale, quirks (defaults as the TCP simulator's). */
  simulator?: Omit<MemorySimulatorOptions, 'network'>;
}

export class SimulatedConnector extends FlamingoProtocolConnector {
  /** The simulator behind this connector (its engine, phantom and counters). */
  readonly simulator: MemorySimulator;

  constructor(options: SimulatedConnectorOptions = {}) {
    const { simulator: simOptions, ...connectorOptions } = options;
    const sim = startMemorySimulator(simOptions);
    super({ ...connectorOptions, host: sim.host, port: sim.port, livePort: sim.livePort, transport: sim.network });
    this.simulator = sim;
  }

  /** Closes the connection, then stops the simulator. */
  override async close(): Promise<void> {
    try {
      await super.close();
    } finally {
      this.simulator.close();
    }
  }
}
