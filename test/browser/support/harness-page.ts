/**
 * The page of the harness's own test: a module worker that answers with what it sees, and a
 * failing call to show that page errors are collected.
 *
 * @example
 * await page.evaluate(() => harnessPage.askWorker());
 */
const worker = new Worker('/worker.js', { type: 'module' });

const harnessPage = {
  askWorker(): Promise<{ isolated: boolean; sab: boolean; sum: number }> {
    return new Promise((resolve) => {
      worker.onmessage = (e: MessageEvent) => resolve(e.data as { isolated: boolean; sab: boolean; sum: number });
      const shared = new Int32Array(new SharedArrayBuffer(8));
      shared[0] = 20;
      shared[1] = 22;
      worker.postMessage(shared);
    });
  },
  throwLater(): void {
    setTimeout(() => {
      throw new Error('boom from the page');
    }, 0);
  },
};

Object.assign(globalThis, { harnessPage });
