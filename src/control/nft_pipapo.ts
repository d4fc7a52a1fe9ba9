// Per-field intervals in concatenations at the control plane: the kernel's nft_set_pipapo semantics for what a
// command may add or delete (nft.ts), its evaluator's matcher being assembly/net/nft_eval.ts's per-field scan.
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

import { fieldBound, inFields, type DataType, type Elem } from './nft_types.js';

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
 * nft_pipapo_insert's checks of `e` against `elems`: 'fresh' to add it, the element with its very bounds (the
 * caller decides EEXIST by its data and NLM_F_EXCL), or 'overlap' (ENOTEMPTY, reported as EEXIST).
 */
export function fieldInsert(types: readonly DataType[], elems: Iterable<Elem>, e: Elem): 'fresh' | 'overlap' | Elem {
  const [lo, hi] = fieldBounds(types, e);
  const start = fieldFind(types, elems, lo);
  if (start) {
    const [slo, shi] = fieldBounds(types, start);
    return sameBytes(lo, slo) && sameBytes(hi, shi) ? start : 'overlap';
  }
  return fieldFind(types, elems, hi) ? 'overlap' : 'fresh';
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** An anonymous concatenation's set is the kernel's pipapo when nft gives it NFT_SET_INTERVAL: a field written as a range or prefix. */
export function anonFields(elems: readonly Elem[]): boolean {
  return elems.some((e) => e.kind !== 'value');
}
