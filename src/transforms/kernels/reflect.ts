/**
 * scipy's 'reflect' boundary (half-sample symmetric): d c b a | a b c d | d c b a.
 *
 * @example
 * reflectIndex(-1, 10); // 0
 * reflectIndex(11, 10); // 8
 */
export function reflectIndex(i: number, n: number): number {
  if (i >= 0 && i < n) return i;
  const period = 2 * n;
  let m = i % period;
  if (m < 0) m += period;
  return m >= n ? period - 1 - m : m;
}
