/**
 * The command port over TCP (Node): `CommandLink` (command-link.ts, where the protocol
 * logic lives) with the TCP transport as its default. Tests and tools that talk to a
 * microscope or the simulator directly use this.
 *
 * @example
 * const ch = new CommandChannel({ host: '127.0.0.1', port: 53717 });
 * await ch.connect();
 * const reply = await ch.request({ cmd: Command.SYSTEM_STATE_GET, cmdDataBits0: Flags.TRIGGER_CALL_BACK });
 */
import { CommandLink, type CommandLinkOptions } from './command-link.ts';
import { tcpTransport } from './socket.ts';

export { describeCommand, type CommandChannelStats, type LogFn, type RequestOptions, type Waiter } from './command-link.ts';

export interface CommandChannelOptions extends Omit<CommandLinkOptions, 'transport'> {
  /** Default: TCP. */
  transport?: CommandLinkOptions['transport'];
}

export class CommandChannel extends CommandLink {
  constructor(options: CommandChannelOptions) {
    super({ ...options, transport: options.transport ?? tcpTransport });
  }
}
