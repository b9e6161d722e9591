/** Every `flamingo-viv` subcommand, in the order help lists them. */
import { acquireCommand } from './acquire.ts';
import { benchCommand } from './bench.ts';
import { benchIngestCommand } from './bench-ingest.ts';
import { benchLiveCommand } from './bench-live.ts';
import { benchWriteCommand } from './bench-write.ts';
import type { Command } from './command.ts';
import { demoCommand } from './demo.ts';
import { importCommand } from './import.ts';
import { probeCommand } from './probe.ts';
import { simCommand } from './sim.ts';
import { startCommand } from './start.ts';
import { transformCommand } from './transform.ts';
import { validateCommand } from './validate.ts';

export const COMMANDS: readonly Command[] = [startCommand, demoCommand, simCommand, probeCommand, acquireCommand, benchCommand, benchIngestCommand, benchWriteCommand, benchLiveCommand, validateCommand, importCommand, transformCommand];
