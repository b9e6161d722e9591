/** The bridge (Node only): the server, its pieces and the token helpers. */
export { startBridge, type BridgeOptions, type RunningBridge } from './server.ts';
export { BridgeController, type BridgeControllerOptions } from './controller.ts';
export { LiveHub, type LiveHubOptions, type RequestContext } from './hub.ts';
export { SessionsFolder, storeUrl, STORE_HEADERS } from './sessions-folder.ts';
export { createAppServing, ISOLATION_HEADERS, type AppServing, type AppServingOptions } from './app-serving.ts';
export { BridgeError, errorReply, type BridgeErrorCode } from './errors.ts';
export { sessionInfoFromDisk, saveSessionState } from './session-info.ts';
export { newToken, tokenMatches, bearerToken } from './token.ts';
