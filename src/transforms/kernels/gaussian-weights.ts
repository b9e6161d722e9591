/**
 * The 1-D Gaussian kernel as scipy.ndimage.gaussian_filter1d builds it (specs/benchmark.md §5.2):
 * radius `int(truncate·σ + 0.5)`, weights `exp(−0.5/σ² · k²)` normalised by their numpy
 * (pairwise) sum.
 *
 * @example
 * gaussianRadius(1, 4); // 4
 * gaussianWeights(1, 4)[4]; // 0.39894346935609776 (the centre tap)
 */

/** `int(truncate · sigma + 0.5)`. */
export function gaussianRadius(sigma: number, truncate: number): number {
  return Math.trunc(truncate * sigma + 0.5);
}

/** numpy's pairwise summation of a float64 array (the order `ndarray.sum()` adds in). */
export function pairwiseSum(a: ArrayLike<number>, start = 0, n = a.length): number {
  if (n < 8) {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[start + i]!;
    return s;
  }
  if (n <= 128) {
    const r = [a[start]!, a[start + 1]!, a[start + 2]!, a[start + 3]!, a[start + 4]!, a[start + 5]!, a[start + 6]!, a[start + 7]!];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let k = 0; k < 8; k++) r[k]! += a[start + i + k]!;
    }
    let s = (r[0]! + r[1]! + (r[2]! + r[3]!)) + (r[4]! + r[5]! + (r[6]! + r[7]!));
    for (; i < n; i++) s += a[start + i]!;
    return s;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/** The 2r+1 weights, index k + r for offset k (symmetric). */
export function gaussianWeights(sigma: number, truncate: number): Float64Array {
  const r = gaussianRadius(sigma, truncate);
  const w = new Float64Array(2 * r + 1);
  const scale = -0.5 / (sigma * sigma);
  for (let k = -r; k <= r; k++) w[k + r] = Math.exp(scale * (k * k));
  const sum = pairwiseSum(w);
  for (let i = 0; i < w.length; i++) w[i] = w[i]! / sum;
  return w;
}
