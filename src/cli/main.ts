/**
 * The `flamingo-viv` command: parses arguments, dispatches to a subcommand, prints
 * help, and turns errors into one sentence on stderr and an exit code
 * (0 success, 1 task failed, 2 bad usage).
 *
 * @example
 * await main(['probe', '--microscope', 'sim', '--json']) // prints one JSON object, returns 0
 */
import { parseArgs } from 'node:util';
import { UsageError, type Command, type CommandIO, type OptionValues } from './command.ts';
import { COMMANDS } from './commands.ts';

const PROGRAM = 'flamingo-viv';

function optionUsage(name: string, spec: Command['options'][string]): string {
  const flag = `--${name}${spec.value ? ` ${spec.value}` : ''}`;
  const short = spec.short ? `-${spec.short}, ` : '    ';
  const repeat = spec.multiple ? ' (repeatable)' : '';
  const def = spec.default !== undefined && spec.default !== false ? ` [default: ${String(spec.default)}]` : '';
  return `  ${short}${flag.padEnd(28)} ${spec.description}${repeat}${def}`;
}

export function commandHelp(cmd: Command): string {
  const lines = [
    `Usage: ${PROGRAM} ${cmd.name}${cmd.positionals ? ` ${cmd.positionals}` : ''} [options]`,
    '',
    cmd.summary,
    '',
    'Options:',
    ...Object.entries(cmd.options).map(([n, s]) => optionUsage(n, s)),
    optionUsage('help', { type: 'boolean', short: 'h', description: 'show this help' }),
  ];
  if (cmd.details) lines.push('', cmd.details.trim());
  return lines.join('\n') + '\n';
}

export function programHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `Usage: ${PROGRAM} <command> [options]`,
    '',
    'Brings a Flamingo light-sheet microscope (or its simulator) into Viv/deck.gl viewers.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `Run '${PROGRAM} <command> --help' for a command's options.`,
    'Exit status: 0 success, 1 the task failed, 2 bad usage.',
    '',
  ].join('\n');
}

/** One sentence, whatever the error looked like. */
export function sentence(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const one = text.replace(/\s+/g, ' ').trim() || 'Unknown error.';
  return /[.!?]$/.test(one) ? one : `${one}.`;
}

function makeIO(): { io: CommandIO; dispose: () => void } {
  const controller = new AbortController();
  let resolveInterrupted!: (s: NodeJS.Signals) => void;
  const interrupted = new Promise<NodeJS.Signals>((r) => (resolveInterrupted = r));
  const onSignal = (s: NodeJS.Signals): void => {
    controller.abort(new Error(`Interrupted by ${s}.`));
    resolveInterrupted(s);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    io: {
      out: (t) => process.stdout.write(t),
      err: (t) => process.stderr.write(t),
      interactive: Boolean(process.stderr.isTTY),
      interrupted,
      signal: controller.signal,
    },
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(programHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    const { default: pkg } = await import('../../package.json', { with: { type: 'json' } });
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    process.stderr.write(`${PROGRAM}: unknown command '${name}'; run '${PROGRAM} --help' for the list.\n`);
    return 2;
  }
  let values: OptionValues;
  let positionals: string[];
  try {
    const parsed = parseArgs({
      args: rest,
      options: { ...cmd.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: Boolean(cmd.positionals),
      strict: true,
    });
    values = parsed.values as OptionValues;
    positionals = parsed.positionals;
  } catch (err) {
    process.stderr.write(`${PROGRAM} ${cmd.name}: ${sentence(err)} Run '${PROGRAM} ${cmd.name} --help'.\n`);
    return 2;
  }
  if (values['help']) {
    process.stdout.write(commandHelp(cmd));
    return 0;
  }
  const { io, dispose } = makeIO();
  try {
    return await cmd.run(values, positionals, io);
  } catch (err) {
    process.stderr.write(`${PROGRAM} ${cmd.name}: ${sentence(err)}\n`);
    return err instanceof UsageError ? 2 : 1;
  } finally {
    dispose();
  }
}
