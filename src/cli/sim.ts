/**
 * `flamingo-viv sim`: runs the protocol-faithful Flamingo simulator on 127.0.0.1 until
 * SIGINT/SIGTERM. Prints `listening on HOST:PORT (live PORT+1)` once both ports accept.
 */
import { QUIRK_FLAGS, type QuirkSwitches } from '../acquisition/simulator/quirks.ts';
import type { SimulatorOptions } from '../acquisition/simulator/server.ts';
import { UsageError, type Command, type OptionValues } from './command.ts';
import { parseChoice, parseIntOption, parseNumberOption, parsePort, parseSize } from './parse-values.ts';

export const simOptions = {
  host: { type: 'string', value: 'HOST', description: 'address to bind', default: '127.0.0.1' },
  port: { type: 'string', value: 'PORT', description: 'command port (live port = PORT+1); 0 picks a free pair', default: '53717' },
  seed: { type: 'string', value: 'N', description: 'phantom sample seed', default: '1' },
  'frame-size': { type: 'string', value: 'WxH', description: 'camera sensor size', default: '2048x2048' },
  profile: { type: 'string', value: 'NAME', description: "quirk profile: 'default' (all off) or 'rig'", default: 'default' },
  quirk: { type: 'string', multiple: true, value: 'NAME', description: 'switch one quirk on (see below)' },
  'max-fps': { type: 'string', value: 'F', description: 'camera frame-rate cap', default: '40.2' },
  'time-scale': { type: 'string', value: 'K', description: 'multiply every simulated duration by K', default: '1' },
  'replay-when-behind': { type: 'boolean', description: 'keep the frame rate when synthesis cannot, by resending the newest finished frame (throughput tests; frames then show another plane)' },
} as const satisfies Command['options'];

/** Simulator options from the parsed `sim` flags (shared by `sim`, `probe --microscope sim` and `demo`). */
export function simulatorOptionsFrom(values: OptionValues): SimulatorOptions {
  const size = parseSize('--frame-size', String(values['frame-size'] ?? '2048x2048'));
  const quirks: Partial<QuirkSwitches> = {};
  for (const name of (values['quirk'] as string[] | undefined) ?? []) {
    const key = QUIRK_FLAGS[name];
    if (!key) throw new UsageError(`--quirk must be one of ${Object.keys(QUIRK_FLAGS).join(', ')}, got '${name}'.`);
    quirks[key] = true;
  }
  return {
    host: String(values['host'] ?? '127.0.0.1'),
    port: parsePort('--port', String(values['port'] ?? '53717')),
    seed: parseIntOption('--seed', String(values['seed'] ?? '1'), 0, 0x7fffffff),
    frameWidth: size.width,
    frameHeight: size.height,
    profile: parseChoice('--profile', String(values['profile'] ?? 'default'), ['default', 'rig'] as const),
    quirks,
    maxFps: parseNumberOption('--max-fps', String(values['max-fps'] ?? '40.2'), 0.1, 10000),
    timeScale: parseNumberOption('--time-scale', String(values['time-scale'] ?? '1'), 0.001, 100),
    replayWhenBehind: values['replay-when-behind'] === true,
  };
}

export const simCommand: Command = {
  name: 'sim',
  summary: 'run the simulated Flamingo microscope (command port and live port = +1) until interrupted',
  options: { ...simOptions, json: { type: 'boolean', description: 'print one JSON object when ready' } },
  details: `Quirks (off in the default profile; the rig profile switches on stale-idle, trailing-frames
and position-silence-during-run): ${Object.keys(QUIRK_FLAGS).join(', ')}.`,
  async run(values, _positionals, io) {
    const options = simulatorOptionsFrom(values);
    const { startSimulator } = await import('../acquisition/simulator/server.ts');
    const sim = await startSimulator(options);
    if (values['json']) {
      io.out(
        JSON.stringify({
          host: sim.host,
          port: sim.port,
          live_port: sim.livePort,
          seed: options.seed,
          profile: options.profile,
          frame_width: options.frameWidth,
          frame_height: options.frameHeight,
        }) + '\n',
      );
    } else {
      io.out(`listening on ${sim.host}:${sim.port} (live ${sim.livePort})\n`);
    }
    await io.interrupted;
    await sim.close();
    return 0;
  },
};
