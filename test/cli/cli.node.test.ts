import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.ts';
import { runCli, startCli } from './run-cli.ts';

/** Errors are one sentence on one line. */
function expectOneSentence(stderr: string): void {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^flamingo-viv\b.*[.!?]$/);
}

describe('flamingo-viv command', () => {
  it('--help lists every subcommand and exits 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toContain(c.name);
  });

  it('with no command prints usage and exits 2', async () => {
    const r = await runCli([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('Usage:');
  });

  it('every subcommand has --help (exit 0, usage and options)', async () => {
    for (const c of COMMANDS) {
      const r = await runCli([c.name, '--help']);
      expect(r.code, c.name).toBe(0);
      expect(r.stdout).toContain(`Usage: flamingo-viv ${c.name}`);
      expect(r.stderr).toBe('');
    }
  });

  it('an unknown command, an unknown option and a malformed value are bad usage (exit 2, one sentence)', async () => {
    for (const args of [['frobnicate'], ['probe', '--nope'], ['probe', '--frames', 'many'], ['sim', '--frame-size', '12'], ['sim', '--quirk', 'gremlins'], ['probe', '--microscope', 'localhost']]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expectOneSentence(r.stderr);
    }
  });

  it('a task that fails exits 1 with one sentence naming the problem', async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused.
    const r = await runCli(['probe', '--microscope', '127.0.0.1:1', '--timeout', '2']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expectOneSentence(r.stderr);
    expect(r.stderr).toMatch(/127\.0\.0\.1:1/);
  });

  it('probe --json against the built-in simulator prints exactly one JSON object', async () => {
    const r = await runCli(['probe', '--microscope', 'sim', '--frames', '5', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const j = JSON.parse(lines[0]!);
    expect(Object.keys(j).sort()).toEqual(['fps', 'frames', 'height', 'mb_per_s', 'microscope', 'pixel_size_um', 'position', 'width'].sort());
    expect(j.frames).toBe(5);
    expect(j.pixel_size_um).toBeCloseTo(1.0475, 4);
    expect(j.width).toBe(2048);
    expect(Object.keys(j.position).sort()).toEqual(['r_deg', 'x_mm', 'y_mm', 'z_mm']);
  });

  it('sim prints its listening line, serves, and exits 0 on SIGTERM', async () => {
    const { child, match, exited } = await startCli(['sim', '--port', '0', '--frame-size', '64x64'], /^listening on (127\.0\.0\.1):(\d+) \(live (\d+)\)\n/);
    expect(Number(match[3])).toBe(Number(match[2]) + 1);
    const probe = await runCli(['probe', '--microscope', `127.0.0.1:${match[2]}`, '--frames', '3', '--json']);
    expect(probe.code).toBe(0);
    expect(JSON.parse(probe.stdout).width).toBe(64);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('sim --json prints one JSON object when ready', async () => {
    const { child, match, exited } = await startCli(['sim', '--port', '0', '--json', '--profile', 'rig'], /^(\{.*\})\n/);
    const j = JSON.parse(match[1]!);
    expect(j.live_port).toBe(j.port + 1);
    expect(j.profile).toBe('rig');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});

describe('flamingo-viv demo (npm start)', () => {
  it('starts the simulator, probes it, keeps serving, and stops on SIGINT', async () => {
    const { child, match, exited } = await startCli(['demo', '--port', '0', '--frame-size', '128x128'], /simulator running; connect a client to 127\.0\.0\.1:(\d+)/);
    const probe = await runCli(['probe', '--microscope', `127.0.0.1:${match[1]}`, '--frames', '2', '--json']);
    expect(probe.code).toBe(0);
    expect(JSON.parse(probe.stdout).width).toBe(128);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('--json prints one object with the address and the probe result', async () => {
    const { child, match, exited } = await startCli(['demo', '--port', '0', '--frame-size', '64x64', '--json'], /^(\{.*\})\n/);
    const j = JSON.parse(match[1]!);
    expect(j.live_port).toBe(j.port + 1);
    expect(j.probe.frames).toBe(20);
    expect(j.probe.width).toBe(64);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
