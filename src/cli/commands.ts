/** Every `flamingo-viv` subcommand, in the order help lists them. */
import { acquireCommand } from './acquire.ts';
import { benchIngestCommand } from './bench-ingest.ts';
import { benchWriteCommand } from './bench-write.ts';
import type { Command } from './command.ts';
import { demoCommand } from './demo.ts';
import { importCommand } from './import.ts';
import { probeCommand } from './probe.ts';
import { simCommand } from './sim.ts';
import { validateCommand } from './validate.ts';

export const COMMANDS: readonly Command[] = [demoCommand, simCommand, probeCommand, acquireCommand, benchIngestCommand, benchWriteCommand, validateCommand, importCommand];
