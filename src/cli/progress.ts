/**
 * A one-line progress bar on a terminal (stderr), redrawn in place.
 *
 * @example
 * const bar = progressBar(io.err, 'ingest'); bar.update(30, 600, 'frames'); bar.done();
 */
export function progressBar(write: (text: string) => void, label: string, width = 30) {
  let drawn = false;
  return {
    update(done: number, total: number, unit: string): void {
      const f = total > 0 ? Math.min(1, done / total) : 0;
      const full = Math.round(f * width);
      write(`\r${label} [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${done}/${total} ${unit}`);
      drawn = true;
    },
    done(): void {
      if (drawn) write('\n');
    },
  };
}
