import { describe, expect, it } from 'vitest';
import type { PlaneEvent, VolumeEvent } from '../../../src/acquisition/live-backend.ts';
import { WireError, decodeDataEvent, encodeDataEvent, parseClientMessage, parseServerMessage, requestMessage } from '../../../src/acquisition/remote/wire.ts';

function ramp(n: number, seed = 7): Uint16Array {
  const a = new Uint16Array(n);
  for (let i = 0; i < n; i++) a[i] = (i * 2654435761 + seed) & 0xffff;
  return a;
}

const plane: PlaneEvent = {
  type: 'plane',
  session: 'embryo é 7',
  channel: 1,
  z: 12,
  level: 1,
  width: 5,
  height: 3,
  pixels: ramp(15),
  version: 42,
  acquiredAtMs: 1234.5,
  frameNumber: 99,
};

const volume: VolumeEvent = {
  type: 'volume',
  session: 's',
  channel: 0,
  level: 2,
  zStart: 3,
  zEnd: 6,
  width: 4,
  height: 2,
  data: ramp(24, 3),
  version: 8,
};

describe('binary plane and volume messages', () => {
  it('round-trip a plane: header fields and pixels equal, data 8-byte aligned', () => {
    const bytes = encodeDataEvent(plane);
    expect(String.fromCharCode(bytes[0]!, bytes[1]!)).toBe('FV');
    expect(bytes[3]).toBe(1);
    expect((bytes.length - 30) % 2).toBe(0);
    const back = decodeDataEvent(bytes) as PlaneEvent;
    expect({ ...back, pixels: [...back.pixels] }).toEqual({ ...plane, pixels: [...plane.pixels] });
    expect(back.pixels.byteOffset % 8).toBe(0);
  });

  it('round-trip a volume, also from an ArrayBuffer and from bytes at an odd offset (copied then)', () => {
    const bytes = encodeDataEvent(volume);
    const fromBuffer = decodeDataEvent(bytes.slice().buffer) as VolumeEvent;
    expect([...fromBuffer.data]).toEqual([...volume.data]);
    expect(fromBuffer).toMatchObject({ type: 'volume', zStart: 3, zEnd: 6, width: 4, height: 2, level: 2, version: 8 });
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const odd = decodeDataEvent(shifted.subarray(1)) as VolumeEvent;
    expect([...odd.data]).toEqual([...volume.data]);
  });

  it('refuses pixels that do not match the size, and messages that are cut or foreign, in one sentence', () => {
    expect(() => encodeDataEvent({ ...plane, pixels: new Uint16Array(14) })).toThrow(/holds 14 pixels but its size calls for 15\./);
    const bytes = encodeDataEvent(plane);
    expect(() => decodeDataEvent(bytes.subarray(0, bytes.length - 2))).toThrow(WireError);
    expect(() => decodeDataEvent(bytes.subarray(0, bytes.length - 2))).toThrow(/carries 28 data bytes but 5 × 3 uint16 pixels need 30\./);
    expect(() => decodeDataEvent(new Uint8Array([1, 2, 3]))).toThrow(/does not start with the 'FV' preamble/);
    const v2 = bytes.slice();
    v2[2] = 2;
    expect(() => decodeDataEvent(v2)).toThrow(/wire version 2/);
  });
});

describe('JSON messages', () => {
  it('parse requests and plane-level choices, and name what is wrong otherwise', () => {
    expect(parseClientMessage(JSON.stringify(requestMessage(3, 'moveTo', { target: { xMm: 1 } })))).toEqual({ kind: 'request', id: 3, op: 'moveTo', args: { target: { xMm: 1 } } });
    expect(parseClientMessage('{"kind":"planeLevel","level":2}')).toEqual({ kind: 'planeLevel', level: 2 });
    expect(() => parseClientMessage('nope')).toThrow(/not JSON/);
    expect(() => parseClientMessage('{"kind":"request","id":1,"op":"format"}')).toThrow(/Unknown request op "format"/);
    expect(() => parseClientMessage('{"kind":"request","id":-1,"op":"connect"}')).toThrow(/non-negative integer id/);
    expect(() => parseClientMessage('{"kind":"planeLevel","level":1.5}')).toThrow(/between 0 and 64/);
  });

  it('parse windowed-flow messages, and name what is wrong otherwise', () => {
    expect(parseClientMessage('{"kind":"window","messages":2}')).toEqual({ kind: 'window', messages: 2 });
    expect(parseClientMessage('{"kind":"ack"}')).toEqual({ kind: 'ack' });
    expect(() => parseClientMessage('{"kind":"window","messages":0}')).toThrow(/window needs a whole number of messages from 1 to 64, got 0/);
    expect(() => parseClientMessage('{"kind":"window","messages":"2"}')).toThrow(/got "2"/);
    expect(() => parseClientMessage('{"kind":"subscribe"}')).toThrow(/Unknown client message kind "subscribe"; expected 'request', 'planeLevel', 'window' or 'ack'/);
  });

  it('parse replies, errors and events from the bridge', () => {
    expect(parseServerMessage('{"kind":"reply","id":1,"ok":true,"result":[1]}')).toEqual({ kind: 'reply', id: 1, ok: true, result: [1] });
    expect(parseServerMessage('{"kind":"reply","id":2,"ok":false,"error":{"code":"busy","message":"Busy."}}')).toEqual({ kind: 'reply', id: 2, ok: false, error: { code: 'busy', message: 'Busy.' } });
    expect(parseServerMessage('{"kind":"event","event":{"type":"log","level":"info","message":"hi"}}')).toEqual({ kind: 'event', event: { type: 'log', level: 'info', message: 'hi' } });
    expect(() => parseServerMessage('{"kind":"event"}')).toThrow(/no event/);
  });
});
