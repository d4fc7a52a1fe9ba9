// nftables' misspell.c: how far one name is from another, and which names nft suggests ("did you mean …?") for a
// table, chain or object that does not exist (nft.ts) and for an unknown `$identifier` (nft_scan.ts).

/**
 * nftables' misspell.c string_distance, index arithmetic included: its table is indexed i × len(b) + j, so
 * rows overlap, and it compares a[i] with b[j] (one past the character the row stands for, the string's
 * terminator at the end). Suggestions must match nft's, so the distance must be nft's, not Levenshtein's.
 */
function nftDistance(a: string, b: string): number {
  const la = a.length;
  const lb = b.length;
  const d = new Uint32Array((la + 1) * (lb + 1));
  const at = (i: number, j: number): number => i * lb + j;
  const ca = (i: number): number => (i < la ? a.charCodeAt(i) : 0);
  const cb = (j: number): number => (j < lb ? b.charCodeAt(j) : 0);
  for (let i = 0; i <= la; i++) d[at(i, 0)] = i;
  for (let j = 0; j <= lb; j++) d[at(0, j)] = j;
  for (let i = 1; i <= la; i++) {
    for (let j = 1; j <= lb; j++) {
      const sub = ca(i) === cb(j) ? 0 : 1;
      d[at(i, j)] = Math.min(d[at(i - 1, j)]! + 1, d[at(i, j - 1)]! + 1, d[at(i - 1, j - 1)]! + sub);
      if (i > 1 && j > 1 && ca(i) === cb(j - 1) && ca(i - 1) === cb(j)) d[at(i, j)] = Math.min(d[at(i, j)]!, d[at(i - 2, j - 2)]! + sub);
    }
  }
  return d[at(la, lb)]!;
}

/**
 * string_misspell_update as nftables 1.0.6 (Debian 12) behaves: the closest name wins, the first of equals in
 * list order, with no distance threshold (measured: `nosuch` is answered with `filter`, distance 5), names of
 * one character never suggested.
 */
export function misspell(have: string, want: string): number | undefined {
  if (Math.max(have.length, want.length) <= 1) return undefined; // measured: `d` is not answered with `c`
  return nftDistance(have, want);
}

/**
 * string_misspell_update with the threshold nftables applies to stateful objects' names and their tables' (measured
 * against 1.0.6: `xyz` is answered with `c`, `nosuch` and `zzzzzz` with nothing): a distance above a third of the longer
 * name (rounded up, at least 1) when the lengths differ by at most one, above a third of the longer plus two
 * otherwise, is no suggestion.
 */
export function objMisspell(have: string, want: string): number | undefined {
  const d = misspell(have, want);
  if (d === undefined) return undefined;
  const max = Math.max(have.length, want.length);
  const min = Math.min(have.length, want.length);
  const threshold = max - min <= 1 ? Math.max(Math.ceil(max / 3), 1) : Math.ceil((max + 2) / 3);
  return d > threshold ? undefined : d;
}

