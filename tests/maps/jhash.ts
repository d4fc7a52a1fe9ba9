// The kernel's jhash pieces (include/linux/jhash.h) for tests that predict a hash the data path computes.

export const rol = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/** __jhash_final(a, b, c): the final mix; returns c. */
export function jhashFinal(a: number, b: number, c: number): number {
  c = ((c ^ b) - rol(b, 14)) >>> 0;
  a = ((a ^ c) - rol(c, 11)) >>> 0;
  b = ((b ^ a) - rol(a, 25)) >>> 0;
  c = ((c ^ b) - rol(b, 16)) >>> 0;
  a = ((a ^ c) - rol(c, 4)) >>> 0;
  b = ((b ^ a) - rol(a, 14)) >>> 0;
  c = ((c ^ b) - rol(b, 24)) >>> 0;
  return c;
}

/** jhash_3words(a, b, c, initval): JHASH_INITVAL + (3 << 2) + initval added to each, then __jhash_final. */
export function jhash3words(a: number, b: number, c: number, initval: number): number {
  const iv = (0xdeadbeef + 12 + initval) >>> 0;
  return jhashFinal((a + iv) >>> 0, (b + iv) >>> 0, (c + iv) >>> 0);
}
