/** The bridge's client side (pure, browsers and Node): the wire codec and `BridgeClient`. */
export { BridgeClient, RemoteError, type BridgeClientOptions, type WebSocketConstructor, type WebSocketLike } from './client.ts';
export {
  ALL_OPS,
  CONTROL_OPS,
  VIEW_OPS,
  WIRE_VERSION,
  WireError,
  decodeDataEvent,
  encodeDataEvent,
  isBridgeOp,
  parseClientMessage,
  parseServerMessage,
  requestMessage,
  type BridgeOp,
  type BridgeOps,
  type ClientMessage,
  type JsonLiveEvent,
  type ServerMessage,
} from './wire.ts';
