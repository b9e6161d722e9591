/**
 * `flamingo-viv start` (what `npm start` runs): the bridge with the viewer app. Starts the
 * built-in simulator (or connects to `--microscope HOST:PORT`), serves the app, the live
 * WebSocket and the sessions folder, and prints exactly
 * `flamingo-viv ready at http://127.0.0.1:PORT/?token=…` once the app can be opened.
 * Ctrl-C stops a running plan (its session is left `interrupted`) and exits 0.
 */
import path from 'node:path';
import type { Command } from './command.ts';
import { parseHostPort, parsePort, parseSize } from './parse-values.ts';

export const startCommand: Command = {
  name: 'start',
  summary: 'start the bridge and the viewer app (simulator by default); prints the URL to open',
  options: {
    microscope: { type: 'string', value: 'sim|HOST:PORT', description: "microscope address, or 'sim' for the built-in simulator", default: 'sim' },
    port: { type: 'string', value: 'PORT', description: 'HTTP port (0 picks a free one)', default: '8600' },
    host: { type: 'string', value: 'HOST', description: 'address to bind', default: '127.0.0.1' },
    sessions: { type: 'string', value: 'DIR', description: 'sessions folder (created when missing)', default: './sessions' },
    'frame-size': { type: 'string', value: 'WxH', description: 'simulator camera size', default: '2048x2048' },
    app: { type: 'string', value: 'DIR', description: 'serve this built app folder instead of dist/app (or the app sources)' },
  },
  details: `The control token in the printed URL is needed to connect, move, acquire and save; without it
the viewer can watch. Sessions are served read-only at http://HOST:PORT/sessions/NAME.ome.zarr/ for Vizarr and Neuroglancer.`,
  async run(values, _positionals, io) {
    const microscope = String(values['microscope'] ?? 'sim').trim();
    if (microscope !== 'sim') parseHostPort('--microscope', microscope);
    const port = parsePort('--port', String(values['port'] ?? '8600'));
    const size = parseSize('--frame-size', String(values['frame-size'] ?? '2048x2048'));
    const { startBridge } = await import('../bridge/server.ts');
    const bridge = await startBridge({
      host: String(values['host'] ?? '127.0.0.1'),
      port,
      sessionsDir: String(values['sessions'] ?? './sessions'),
      microscope,
      simulator: { frameWidth: size.width, frameHeight: size.height },
      ...(values['app'] !== undefined ? { app: { dist: path.resolve(String(values['app'])), devRoot: null } } : {}),
      log: (level, message) => {
        if (level !== 'info') io.err(`${level}: ${message}\n`);
      },
    });
    io.out(`flamingo-viv ready at ${bridge.readyUrl}\n`);
    if (bridge.app === 'none') io.err('note: the viewer app was not found (no dist/app and no app/index.html); the API and sessions are served.\n');
    await io.interrupted;
    const result = await bridge.close();
    if (result && result.status === 'interrupted') io.err(`stopped: ${result.json.path} left interrupted (${result.json.frames_written} frames written)\n`);
    return 0;
  },
};
