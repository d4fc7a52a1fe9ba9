// Per-field intervals in concatenations at the control plane: the kernel's nft_set_pipapo semantics for what a
// command may add or delete (nft.ts), and the lookup index (fieldIndex) the data path's matcher reads
// (assembly/net/nft_eval.ts fieldsFind).
//
// Measured with nft 1.0.6 on 6.18 (tests/nf/nft_pipapo_kernel):
// - nft_pipapo_insert looks the new element's start key up, then its end key: a start inside an element with the
//   same bounds is that element (EEXIST: `add` keeps it, `create` refuses), inside another, or an end inside any,
//   is ENOTEMPTY, which nft_add_set_elem reports as EEXIST ("File exists" at the element). Elements whose
//   boxes overlap but whose corners do not (198.51.100.0/24 . 22 after 198.51.100.7 . 22) are both taken.
// - nft_pipapo_deactivate finds the element the deleted one's start key is in, whatever its end (deleting
//   198.51.100.5 . 15 removes 198.51.100.0/24 . 10-20); none is ENOENT.
// - Elements list, and are matched first, in the order they were added; nft neither sorts nor merges them
//   (auto-merge is taken and listed, and merges nothing).
//
// Reads: Elems of a concatenation (parts set). Sets: nothing (callers add and remove).

import { TYPE_INFO, cmpBytes, fieldBound, inFields, nextKey, type DataType, type Elem } from './nft_types.js';

/** An element's bounds as the evaluator compares them, kept per element (elements are never edited in place). */
const bounds = new WeakMap<Elem, [Uint8Array, Uint8Array]>();
export function fieldBounds(types: readonly DataType[], e: Elem): [Uint8Array, Uint8Array] {
  let b = bounds.get(e);
  if (!b) bounds.set(e, (b = [fieldBound(types, e, 'lo'), fieldBound(types, e, 'hi')]));
  return b;
}

/** The first of `elems` the key (fieldBound's layout) lies in, field by field, or undefined (pipapo_get). */
export function fieldFind(types: readonly DataType[], elems: Iterable<Elem>, k: Uint8Array, skip?: ReadonlySet<Elem>): Elem | undefined {
  for (const x of elems) {
    if (skip?.has(x)) continue;
    const [lo, hi] = fieldBounds(types, x);
    if (inFields(types, k, lo, hi)) return x;
  }
  return undefined;
}

/**
 * A set's elements as nft_pipapo_insert checks new ones against them, their bounds kept in arrays for the scan (a
 * command adding n elements to a set of m does n scans of m + n: kept cheap per element).
 */
export class FieldElems {
  private readonly elems: Elem[] = [];
  private readonly lo: Uint8Array[] = [];
  private readonly hi: Uint8Array[] = [];
  constructor(readonly types: readonly DataType[], from: Iterable<Elem> = []) {
    for (const e of from) this.push(e);
  }

  push(e: Elem): void {
    const [lo, hi] = fieldBounds(this.types, e);
    this.elems.push(e);
    this.lo.push(lo);
    this.hi.push(hi);
  }

  /** An element changed in place (its timeout): the same bounds. */
  replace(had: Elem, next: Elem): void {
    const i = this.elems.indexOf(had);
    if (i >= 0) this.elems[i] = next;
  }

  /** The first element the key (fieldBound's layout) lies in (pipapo_get). */
  find(k: Uint8Array): Elem | undefined {
    for (let i = 0; i < this.elems.length; i++) if (inFields(this.types, k, this.lo[i]!, this.hi[i]!)) return this.elems[i];
    return undefined;
  }

  /**
   * nft_pipapo_insert's checks of `e`: 'fresh' to add it, the element with its very bounds (the caller decides
   * EEXIST by its data and NLM_F_EXCL), or 'overlap' (ENOTEMPTY, reported as EEXIST).
   */
  insert(e: Elem): 'fresh' | 'overlap' | Elem {
    const [lo, hi] = fieldBounds(this.types, e);
    const start = this.find(lo);
    if (start) {
      const [slo, shi] = fieldBounds(this.types, start);
      return cmpBytes(lo, slo) === 0 && cmpBytes(hi, shi) === 0 ? start : 'overlap';
    }
    return this.find(hi) ? 'overlap' : 'fresh';
  }
}

/** An anonymous concatenation's set is the kernel's pipapo when nft gives it NFT_SET_INTERVAL: a field written as a range or prefix. */
export function anonFields(elems: readonly Elem[]): boolean {
  return elems.some((e) => e.kind !== 'value');
}

/**
 * The most bytes one set's per-field index may take: it grows with elements × distinct bounds per field (a set of
 * n elements with distinct bounds in two fields: about n² / 2 bytes, 8k elements 32 MiB). Past it the command
 * fails with ENOMEM naming the set, as the kernel fails an allocation, rather than fall back to a scan.
 */
export const FIELD_INDEX_MAX = 32 << 20;

/** A set whose per-field index would pass FIELD_INDEX_MAX: nft.ts reports ENOMEM with the set's name. */
export class FieldIndexTooLarge extends Error {
  constructor(readonly bytes: number, readonly max: number, readonly label = 'a set') {
    super(`the per-field index of ${label} would take ${bytes} bytes, more than wxdp's ${max}`);
  }
}

/**
 * The lookup index of per-field intervals, laid out before the set's header (assembly/net/nft_eval.ts fieldsFind
 * reads it): for each field, the sorted distinct points where some element's range of that field begins or ends
 * (its low bound, and its high bound + 1) with 0 first, so a key's field falls in one elementary interval
 * [point j, point j + 1); with each point, a bitmap of the elements (in added order, bit i of word i / 32) whose
 * range holds that interval. A lookup is one binary search per field and an AND of the fields' bitmaps; its
 * lowest set bit is the first element added that holds every field, as nft_pipapo_lookup's first match.
 *
 *   per field: u32 m | m × point (the field's padded width, big-endian as the bounds) | m × bitmap (⌈n / 32⌉ u32)
 *   then u32 the index's size in bytes (before this word), then the set's header
 */
export function fieldIndex(types: readonly DataType[], ivals: ReadonlyArray<readonly [Uint8Array, Uint8Array]>, max = FIELD_INDEX_MAX): Uint8Array {
  const n = ivals.length;
  const words = (n + 31) >>> 5;
  const fields: Array<{ points: Uint8Array[]; width: number; at: number }> = [];
  let size = 4;
  let at = 0;
  for (const t of types) {
    const width = (TYPE_INFO[t].len + 3) & ~3;
    const seen = new Map<string, Uint8Array>([['', new Uint8Array(width)]]);
    const add = (p: Uint8Array | undefined): void => {
      if (!p) return;
      const k = p.join(',');
      if (!seen.has(k) && p.some((b) => b !== 0)) seen.set(k, p);
    };
    for (const [lo, hi] of ivals) {
      add(lo.slice(at, at + width));
      add(nextKey(hi.subarray(at, at + width)));
    }
    const points = [...seen.values()].sort(cmpBytes);
    fields.push({ points, width, at });
    size += 4 + points.length * (width + words * 4);
    at += width;
  }
  if (size > max) throw new FieldIndexTooLarge(size, max);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  let o = 0;
  for (const { points, width, at: fat } of fields) {
    v.setUint32(o, points.length, true);
    o += 4;
    for (const p of points) {
      out.set(p, o);
      o += width;
    }
    const maps = o;
    o += points.length * words * 4;
    ivals.forEach(([lo, hi], i) => {
      // the intervals the element's range holds: points from its low bound up to its high bound
      const l = lowerBound(points, lo.subarray(fat, fat + width));
      const h = lowerBound(points, nextKey(hi.subarray(fat, fat + width)));
      for (let j = l; j < h; j++) out[maps + j * words * 4 + (i >>> 3)]! |= 1 << (i & 7);
    });
  }
  v.setUint32(o, size - 4, true);
  return out;
}

/** The first point not below `k` (points.length when all are, or when k is undefined: past the top). */
function lowerBound(points: readonly Uint8Array[], k: Uint8Array | undefined): number {
  if (!k) return points.length;
  let a = 0;
  let b = points.length;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if (cmpBytes(points[mid]!, k) < 0) a = mid + 1;
    else b = mid;
  }
  return a;
}
