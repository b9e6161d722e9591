/**
 * The worker of the harness's own test: reports isolation and sums a shared array.
 *
 * @example
 * worker.postMessage(new Int32Array(new SharedArrayBuffer(8)));
 */
self.onmessage = (e: MessageEvent<Int32Array>) => {
  const a = e.data;
  postMessage({ isolated: globalThis.crossOriginIsolated, sab: a.buffer instanceof SharedArrayBuffer, sum: Atomics.load(a, 0) + Atomics.load(a, 1) });
};
