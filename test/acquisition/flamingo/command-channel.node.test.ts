import { afterEach, describe, expect, it } from 'vitest';
import { CommandChannel } from '../../../src/acquisition/flamingo/command-channel.ts';
import { isConnectorError } from '../../../src/acquisition/flamingo/errors.ts';
import { Command, type CommandMessage } from '../../../src/acquisition/protocol/index.ts';
import { reply, startScriptedServer, type Handler, type ScriptedServer } from './scripted-server.ts';

const CALLBACK = 0x80000000;
const TEXT = '<Type>\n  Microscope name = scripted\n</Type>\n'.repeat(60);

let server: ScriptedServer | null = null;
let channel: CommandChannel | null = null;

afterEach(async () => {
  await channel?.close();
  await server?.close();
  channel = null;
  server = null;
});

async function open(handler: Handler, o: { replyTimeoutMs?: number } = {}): Promise<CommandChannel> {
  server = await startScriptedServer(handler);
  channel = new CommandChannel({ host: '127.0.0.1', port: server.port, replyTimeoutMs: o.replyTimeoutMs ?? 2000, rawQuietMs: 60 });
  await channel.connect();
  return channel;
}

const settingsRequest = { replyCodes: [Command.COMMON_SCOPE_SETTINGS, Command.COMMON_SCOPE_SETTINGS_LOAD], rawPayload: true };

describe('CommandChannel: settings transfer (spec §9.1)', () => {
  it('reads text sent without addDataBytes until the socket is quiet, then routes later records', async () => {
    const later: number[] = [];
    const ch = await open((m, socket) => {
      if (m.record.cmd !== Command.COMMON_SCOPE_SETTINGS_LOAD) return;
      socket.write(reply({ cmd: Command.COMMON_SCOPE_SETTINGS }));
      const bytes = new TextEncoder().encode(TEXT);
      socket.write(bytes.subarray(0, 700));
      setTimeout(() => socket.write(bytes.subarray(700)), 20);
      setTimeout(() => socket.write(reply({ cmd: Command.SYSTEM_STATE_IDLE })), 400);
    });
    ch.onUnsolicited((msg) => later.push(msg.record.cmd));
    const msg = await ch.request({ cmd: Command.COMMON_SCOPE_SETTINGS_LOAD }, settingsRequest);
    expect(msg.record.cmd).toBe(Command.COMMON_SCOPE_SETTINGS);
    expect(new TextDecoder().decode(msg.payload!)).toBe(TEXT);
    await expect.poll(() => later).toEqual([Command.SYSTEM_STATE_IDLE]);
    expect(server!.received[0]!.record.cmdDataBits0).toBe(0);
  });

  it('waits for unframed text that starts in a later write than its record', async () => {
    const ch = await open((m, socket) => {
      if (m.record.cmd !== Command.COMMON_SCOPE_SETTINGS_LOAD) return;
      socket.write(reply({ cmd: Command.COMMON_SCOPE_SETTINGS }));
      setTimeout(() => socket.write(new TextEncoder().encode(TEXT)), 200);
    });
    const msg = await ch.request({ cmd: Command.COMMON_SCOPE_SETTINGS_LOAD }, settingsRequest);
    expect(new TextDecoder().decode(msg.payload!)).toBe(TEXT);
  });

  it('ends unframed text at the next start marker when a record follows at once', async () => {
    const later: number[] = [];
    const ch = await open((m, socket) => {
      if (m.record.cmd !== Command.COMMON_SCOPE_SETTINGS_LOAD) return;
      const text = new TextEncoder().encode(TEXT);
      const next = reply({ cmd: Command.STAGE_MOTION_STOPPED, int32Data0: 2 });
      const all = new Uint8Array(128 + text.length + 128);
      all.set(reply({ cmd: Command.COMMON_SCOPE_SETTINGS_LOAD }), 0);
      all.set(text, 128);
      all.set(next, 128 + text.length);
      socket.write(all);
    });
    ch.onUnsolicited((msg) => later.push(msg.record.cmd));
    const msg = await ch.request({ cmd: Command.COMMON_SCOPE_SETTINGS_LOAD }, settingsRequest);
    expect(msg.record.cmd).toBe(Command.COMMON_SCOPE_SETTINGS_LOAD);
    expect(new TextDecoder().decode(msg.payload!)).toBe(TEXT);
    await expect.poll(() => later).toEqual([Command.STAGE_MOTION_STOPPED]);
  });

  it('takes a framed payload as it is', async () => {
    const ch = await open((m, socket) => {
      const text = new TextEncoder().encode(TEXT);
      const out = new Uint8Array(128 + text.length);
      out.set(reply({ cmd: Command.COMMON_SCOPE_SETTINGS, addDataBytes: text.length }));
      out.set(text, 128);
      if (m.record.cmd === Command.COMMON_SCOPE_SETTINGS_LOAD) socket.write(out);
    });
    const msg = await ch.request({ cmd: Command.COMMON_SCOPE_SETTINGS_LOAD }, settingsRequest);
    expect(msg.payload!.length).toBe(new TextEncoder().encode(TEXT).length);
  });
});

describe('CommandChannel: requests and routing (spec §4.2, §5, §11.3)', () => {
  it('keeps one request per code on the wire and queues the next', async () => {
    const ch = await open((m, socket, s) => {
      if (m.record.cmd !== Command.STAGE_POSITION_GET) return;
      setTimeout(() => {
        s.events.push(`reply ${m.record.int32Data0}`);
        socket.write(reply({ cmd: Command.STAGE_POSITION_GET, int32Data0: m.record.int32Data0, doubleData: m.record.int32Data0 * 10 }));
      }, 30);
    });
    const [x, y, z] = await Promise.all(
      [1, 2, 3].map((axis) => ch.request({ cmd: Command.STAGE_POSITION_GET, int32Data0: axis, cmdDataBits0: CALLBACK })),
    );
    expect([x!.record.doubleData, y!.record.doubleData, z!.record.doubleData]).toEqual([10, 20, 30]);
    expect(server!.events).toEqual(['recv 24584', 'reply 1', 'recv 24584', 'reply 2', 'recv 24584', 'reply 3']);
  });

  it('lets requests with different codes overlap', async () => {
    const ch = await open((m, socket, s) => {
      const code = m.record.cmd;
      setTimeout(() => {
        s.events.push(`reply ${code}`);
        socket.write(reply({ cmd: code }));
      }, 30);
    });
    await Promise.all([
      ch.request({ cmd: Command.SYSTEM_STATE_GET, cmdDataBits0: CALLBACK }),
      ch.request({ cmd: Command.CAMERA_IMAGE_SIZE_GET, cmdDataBits0: CALLBACK }),
    ]);
    expect(server!.events.slice(0, 2)).toEqual(['recv 40967', 'recv 12327']);
  });

  it('gives a 0x3011 to a pending ROI_TOP_SET first, and to unsolicited listeners otherwise', async () => {
    const unsolicited: CommandMessage[] = [];
    const ch = await open((m, socket) => {
      if (m.record.cmd === Command.CAMERA_ROI_TOP_SET) socket.write(reply({ cmd: Command.CAMERA_ROI_TOP_SET, int32Data0: 7 }));
      if (m.record.cmd === Command.SYSTEM_STATE_GET) {
        socket.write(reply({ cmd: Command.CAMERA_STACK_COMPLETE, int32Data0: 5, int32Data1: 5 }));
        socket.write(reply({ cmd: Command.SYSTEM_STATE_GET, int32Data0: 0xa002 }));
      }
    });
    ch.onUnsolicited((msg) => unsolicited.push(msg));
    const roi = await ch.request({ cmd: Command.CAMERA_ROI_TOP_SET, int32Data0: 7, cmdDataBits0: CALLBACK });
    expect(roi.record.int32Data0).toBe(7);
    expect(unsolicited).toEqual([]);
    await ch.request({ cmd: Command.SYSTEM_STATE_GET, cmdDataBits0: CALLBACK });
    expect(unsolicited.map((m) => m.record.cmd)).toEqual([Command.CAMERA_STACK_COMPLETE]);
  });

  it('does not take an unsolicited record that arrives first for the reply', async () => {
    const unsolicited: number[] = [];
    const ch = await open((m, socket) => {
      socket.write(reply({ cmd: Command.LED_PREVIEW_DISABLE }));
      socket.write(reply({ cmd: m.record.cmd, int32Data0: 64, int32Data1: 32 }));
    });
    ch.onUnsolicited((msg) => unsolicited.push(msg.record.cmd));
    const size = await ch.request({ cmd: Command.CAMERA_IMAGE_SIZE_GET, cmdDataBits0: CALLBACK });
    expect([size.record.cmd, size.record.int32Data0, size.record.int32Data1]).toEqual([Command.CAMERA_IMAGE_SIZE_GET, 64, 32]);
    expect(unsolicited).toEqual([Command.LED_PREVIEW_DISABLE]);
  });

  it('times out naming what it waited for, and the queue moves on', async () => {
    let answer = false;
    const ch = await open(
      (m, socket) => {
        if (answer) socket.write(reply({ cmd: m.record.cmd, int32Data0: 40962 }));
        answer = true;
      },
      { replyTimeoutMs: 80 },
    );
    const first = ch.request({ cmd: Command.SYSTEM_STATE_GET, cmdDataBits0: CALLBACK }, { what: 'the first poll' });
    const second = ch.request({ cmd: Command.SYSTEM_STATE_GET, cmdDataBits0: CALLBACK });
    await expect(first).rejects.toThrow('No reply to SYSTEM_STATE_GET (40967) for the first poll within 80 ms.');
    expect((await second).record.int32Data0).toBe(40962);
  });

  it('arms a waiter before the command, so a stop message in the same write as the ack is caught', async () => {
    const ch = await open((m, socket) => {
      const both = new Uint8Array(256);
      both.set(reply({ cmd: Command.STAGE_POSITION_SET, int32Data0: 1 }), 0);
      both.set(reply({ cmd: Command.STAGE_MOTION_STOPPED, int32Data0: 1 }), 128);
      if (m.record.cmd === Command.STAGE_POSITION_SET) socket.write(both);
    });
    const stopped = ch.waitFor((r) => r.cmd === Command.STAGE_MOTION_STOPPED && r.int32Data0 === 1, { timeoutMs: 1000, what: 'X to stop' });
    await ch.request({ cmd: Command.STAGE_POSITION_SET, int32Data0: 1, doubleData: 5, cmdDataBits0: CALLBACK });
    expect((await stopped.promise).int32Data0).toBe(1);
  });

  it('names the wait in a waiter timeout', async () => {
    const ch = await open(() => undefined);
    const w = ch.waitFor(() => false, { timeoutMs: 30, what: 'axis Z to stop moving' });
    await expect(w.promise).rejects.toThrow('Timed out after 30 ms waiting for axis Z to stop moving.');
  });

  it('resynchronises after garbage and counts the discarded bytes', async () => {
    const ch = await open((m, socket) => {
      socket.write(new Uint8Array([1, 2, 3, 4, 5, 0x54, 0xe6, 9]));
      socket.write(reply({ cmd: m.record.cmd, int32Data0: 40962 }));
    });
    const r = await ch.request({ cmd: Command.SYSTEM_STATE_GET, cmdDataBits0: CALLBACK });
    expect(r.record.int32Data0).toBe(40962);
    expect(ch.stats().discardedBytes).toBe(8);
  });

  it('fails pending requests when the connection drops, then connects again', async () => {
    const closes: string[] = [];
    const ch = await open((m, socket) => {
      if (m.record.int32Data0 === 99) socket.destroy();
      else socket.write(reply({ cmd: m.record.cmd, int32Data0: 40962 }));
    });
    ch.onClose((reason) => closes.push(reason));
    const err = await ch.request({ cmd: Command.SYSTEM_STATE_GET, int32Data0: 99, cmdDataBits0: CALLBACK }).catch((e: unknown) => e);
    expect(isConnectorError(err, 'connection-lost')).toBe(true);
    expect((err as Error).message).toMatch(/^Lost the connection while waiting for the reply to SYSTEM_STATE_GET \(40967\)/);
    expect(closes).toHaveLength(1);
    expect(ch.connected).toBe(false);
    await expect(ch.request({ cmd: Command.SYSTEM_STATE_GET, cmdDataBits0: CALLBACK })).rejects.toThrow(/Not connected/);
    await ch.connect();
    expect((await ch.request({ cmd: Command.SYSTEM_STATE_GET, cmdDataBits0: CALLBACK })).record.int32Data0).toBe(40962);
    expect(ch.stats().connects).toBe(2);
  });

  it('sends a record and its payload in one piece, through the same writer', async () => {
    const ch = await open(() => undefined);
    const text = new TextEncoder().encode('<Workflow Settings>\n</Workflow Settings>');
    await Promise.all([
      ch.send({ cmd: Command.CAMERA_WORK_FLOW_START, cmdDataBits0: CALLBACK }, text),
      ch.send({ cmd: Command.CAMERA_WORK_FLOW_STOP }),
    ]);
    await expect.poll(() => server!.received.length).toBe(2);
    const [start, stop] = server!.received;
    expect(start!.record).toMatchObject({ cmd: 12292, addDataBytes: text.length, cmdDataBits0: CALLBACK, text: '' });
    expect(start!.payload).toEqual(text);
    expect(stop!.record).toMatchObject({ cmd: 12293, cmdDataBits0: 0 });
  });
});
