/**
 * `flamingo-viv demo` (what `npm start` runs until the viewer lands): starts the
 * simulator on its usual port, probes it through the connector, prints the result and
 * keeps the simulator up for other clients until interrupted.
 */
import type { Command } from './command.ts';
import { formatProbe } from './probe.ts';
import { simOptions, simulatorOptionsFrom } from './sim.ts';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'start the simulated microscope, probe it through the connector, and keep it running',
  options: { ...simOptions, json: { type: 'boolean', description: 'print one JSON object (address and probe) when ready' } },
  async run(values, _positionals, io) {
    const { startSimulator } = await import('../acquisition/simulator/server.ts');
    const { probeMicroscope } = await import('../acquisition/flamingo/probe.ts');
    const sim = await startSimulator(simulatorOptionsFrom(values));
    try {
      if (!values['json']) io.out(`listening on ${sim.host}:${sim.port} (live ${sim.livePort})\n`);
      const result = await probeMicroscope({ host: sim.host, port: sim.port, frames: 20, timeoutS: 10, signal: io.signal });
      if (values['json']) {
        io.out(JSON.stringify({ host: sim.host, port: sim.port, live_port: sim.livePort, probe: result }) + '\n');
      } else {
        io.out(formatProbe(result));
        io.out(`simulator running; connect a client to ${sim.host}:${sim.port} — press Ctrl-C to stop\n`);
      }
      await io.interrupted;
      return 0;
    } finally {
      await sim.close();
    }
  },
};
