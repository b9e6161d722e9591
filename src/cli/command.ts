/**
 * What every subcommand is: a name, a one-line summary, typed options, and `run`.
 * The runner (main.ts) parses arguments with `node:util` parseArgs, prints `--help`,
 * and maps errors to exit codes: UsageError → 2, anything else → 1.
 *
 * @example
 * export const probe: Command = { name: 'probe', summary: '…', options: {…}, run: async (o, io) => 0 };
 */

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** The option may be given several times (values collect into an array). */
  multiple?: boolean;
  short?: string;
  /** Shown in help, e.g. `HOST:PORT`. */
  value?: string;
  description: string;
  default?: string | boolean;
}

export type OptionValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

/** Where a command writes: stdout for results, stderr for progress and errors. */
export interface CommandIO {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether stderr is a terminal (progress bars only then). */
  interactive: boolean;
  /** Resolves when the user asks to stop (SIGINT/SIGTERM). */
  interrupted: Promise<NodeJS.Signals>;
  signal: AbortSignal;
}

export interface Command {
  name: string;
  summary: string;
  /** Positional arguments shown in usage, e.g. `PATH`. */
  positionals?: string;
  options: Record<string, OptionSpec>;
  /** Extra help text after the options. */
  details?: string;
  /** Returns the exit code (0 success, 1 failure). */
  run: (options: OptionValues, positionals: string[], io: CommandIO) => Promise<number>;
}

/** Bad usage: unknown option, malformed value. Exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The task itself failed (microscope unreachable, timeout). Exit code 1. */
export class TaskError extends Error {
  override readonly name = 'TaskError';
}
