// The reference the LPM tables are checked against: a plain binary trie, one node per bit, no
// compression and no cleverness — obviously right, and slow. Keys are bit strings read by `bit(i)`.

interface Node {
  value: number;
  kids: [Node | undefined, Node | undefined];
}

const node = (): Node => ({ value: 0, kids: [undefined, undefined] });

export class RefTrie {
  private readonly root = node();
  private n = 0;

  constructor(readonly width: number) {}

  get size(): number {
    return this.n;
  }

  set(bit: (i: number) => number, len: number, value: number): void {
    let x = this.root;
    for (let i = 0; i < len; i++) {
      const b = bit(i);
      x = x.kids[b] ??= node();
    }
    if (x.value === 0) this.n++;
    x.value = value;
  }

  delete(bit: (i: number) => number, len: number): boolean {
    let x: Node | undefined = this.root;
    for (let i = 0; i < len && x; i++) x = x.kids[bit(i)];
    if (!x || x.value === 0) return false;
    x.value = 0;
    this.n--;
    return true;
  }

  get(bit: (i: number) => number, len: number): number {
    let x: Node | undefined = this.root;
    for (let i = 0; i < len && x; i++) x = x.kids[bit(i)];
    return x?.value ?? 0;
  }

  /** The value of the longest prefix on the address's path, 0 when none. */
  lookup(bit: (i: number) => number): number {
    let best = this.root.value;
    let x: Node | undefined = this.root;
    for (let i = 0; i < this.width && x; i++) {
      x = x.kids[bit(i)];
      if (x && x.value !== 0) best = x.value;
    }
    return best;
  }
}

export const bits4 = (a: number) => (i: number): number => (a >>> (31 - i)) & 1;
export const bits6 = (b: Uint8Array) => (i: number): number => (b[i >> 3]! >> (7 - (i & 7))) & 1;

export function mask4(a: number, len: number): number {
  return len === 0 ? 0 : (a & (0xffffffff << (32 - len))) >>> 0;
}

export function mask6(b: Uint8Array, len: number): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, len - 8 * i));
    out[i] = b[i]! & ((0xff00 >> keep) & 0xff);
  }
  return out;
}

/** A small deterministic generator (xorshift32) so failures reproduce from the seed. */
export { rng } from '../../bench/fib.js';
