/**
 * The Node TCP client for a Flamingo microscope (re-exports only).
 *
 * @example
 * import { FlamingoConnector, probeMicroscope } from './acquisition/flamingo/index.ts';
 */
export { FlamingoConnector, type FlamingoConnectorOptions } from './connector.ts';
export { FlamingoProtocolConnector } from './protocol-connector.ts';
export { tcpTransport } from './socket.ts';
export type { Transport, TransportSocket, TransportTarget } from './transport.ts';
export { MemoryNetwork, MemorySocket } from './memory-transport.ts';
export { CommandLink, type CommandLinkOptions } from './command-link.ts';
export { LiveLink, type LiveLinkOptions } from './live-link.ts';
export { probeMicroscope, type ProbeOptions, type ProbeResult } from './probe.ts';
export { ConnectorError, isConnectorError, type ConnectorErrorCode } from './errors.ts';
export { CommandChannel, type CommandChannelOptions, type RequestOptions, type Waiter } from './command-channel.ts';
export { LiveChannel, type LiveChannelOptions, type LiveFrame } from './live-channel.ts';
export { FrameAssigner, type Assignment, type AssignerReport } from './assign.ts';
export { FrameQueue, type OverflowPolicy } from './frame-queue.ts';
export { DEFAULT_RUN_TIMING, WorkflowRun, type RunTiming } from './run.ts';
