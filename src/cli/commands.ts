/** Every `flamingo-viv` subcommand, in the order help lists them. */
import { benchIngestCommand } from './bench-ingest.ts';
import type { Command } from './command.ts';
import { demoCommand } from './demo.ts';
import { probeCommand } from './probe.ts';
import { simCommand } from './sim.ts';

export const COMMANDS: readonly Command[] = [demoCommand, simCommand, probeCommand, benchIngestCommand];
