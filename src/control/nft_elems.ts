// Named sets' elements across transactions (nft.ts): a command's copy of the ruleset shares each set's element
// array, and the elements in it, with the state it was copied from, so a command costs what it changes and not
// the sets' sizes (`add element` of 10 into a set of 100k copied all 100k). An array that a committed state
// holds is frozen: a command that changes a set copies its array first (own: pointers only) and replaces, never
// edits, an element it changes. Each array's key index (element identity → element) is kept beside it and
// carried to the copy; its changes are journaled, and a command or file that fails undoes them, so the
// committed state and its index are as they were ("nothing applied from a command or file that fails").
//
// Reads: NftState. Sets: NftSet.elems (new arrays only), the index and its journal.

import type { NftSet, NftState } from './nft_model.js';
import type { Elem } from './nft_types.js';

/** An element's identity in its set: its name, or its kind and bounds (bytes as latin1 characters: one each). */
export function elemKey(e: Elem): string {
  if (e.name !== undefined) return `n:${e.name}`;
  return `${e.kind[0]}${latin1(e.lo)}${latin1(e.hi)}`;
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

const NO_ELEMS: Elem[] = [];

export class ElemStore {
  /** Arrays a committed state holds (written only after own() copies them). */
  private readonly frozen = new WeakSet<Elem[]>();
  private readonly indexes = new WeakMap<Elem[], Map<string, Elem>>();
  /** What an array was copied from and how it changed since (nft_compile.ts makes its image from the base's). */
  private readonly derived = new WeakMap<Elem[], { base: Elem[]; added: Elem[]; removed: Set<Elem> }>();
  /** Undo steps for the index changes of the command or file being applied, newest last. */
  private journal: Array<() => void> = [];

  /** A copy of `s` to apply commands to: everything copied but the sets' element arrays, which are shared. */
  clone(s: NftState): NftState {
    const held: Array<[NftSet, Elem[]]> = [];
    for (const t of s.tables) for (const set of t.sets) held.push([set, set.elems]);
    let c: NftState;
    try {
      for (const [set] of held) set.elems = NO_ELEMS;
      c = structuredClone(s);
    } finally {
      for (const [set, elems] of held) set.elems = elems;
    }
    let i = 0;
    for (const t of c.tables) {
      for (const set of t.sets) {
        const elems = held[i++]![1];
        this.frozen.add(elems);
        set.elems = elems;
      }
    }
    this.journal = [];
    return c;
  }

  /** The command or file failed: the indexes back to what the committed state's arrays hold. */
  abort(): void {
    for (let i = this.journal.length - 1; i >= 0; i--) this.journal[i]!();
    this.journal = [];
  }

  /** The committed state is the copy now: its arrays are frozen for the next command. */
  commit(s: NftState): void {
    for (const t of s.tables) for (const set of t.sets) this.frozen.add(set.elems);
    this.journal = [];
  }

  /** What `elems` was copied from (an array a committed state holds) and how it changed since. */
  base(elems: Elem[]): { base: Elem[]; added: Elem[]; removed: ReadonlySet<Elem> } | undefined {
    return this.derived.get(elems);
  }

  /** The set's elements by key (built once per array, then kept in step by put and remove). */
  index(set: NftSet): Map<string, Elem> {
    let m = this.indexes.get(set.elems);
    if (!m) this.indexes.set(set.elems, (m = new Map(set.elems.map((e) => [elemKey(e), e]))));
    return m;
  }

  /** Makes set.elems this copy's own (a copy of a frozen array, its index carried over). */
  private own(set: NftSet): Map<string, Elem> {
    const m = this.index(set);
    if (this.frozen.has(set.elems)) {
      const base = set.elems;
      set.elems = base.slice();
      this.indexes.set(set.elems, m);
      this.derived.set(set.elems, { base, added: [], removed: new Set() });
    }
    return m;
  }

  private setKey(m: Map<string, Elem>, k: string, e: Elem | undefined): void {
    const was = m.get(k);
    this.journal.push(() => (was === undefined ? m.delete(k) : m.set(k, was)));
    if (e === undefined) m.delete(k);
    else m.set(k, e);
  }

  /** Adds a new element. */
  add(set: NftSet, e: Elem): void {
    const m = this.own(set);
    set.elems.push(e);
    this.derived.get(set.elems)?.added.push(e);
    this.setKey(m, elemKey(e), e);
  }

  /** Puts `next` where `had` is (an element changed: the old one may be a committed state's). */
  replace(set: NftSet, had: Elem, next: Elem): void {
    const m = this.own(set);
    set.elems[set.elems.indexOf(had)] = next;
    this.derived.delete(set.elems); // its state changed in place: the image is made anew
    this.setKey(m, elemKey(next), next);
  }

  /** Removes elements (one pass over the array; the index is carried to the new one). */
  remove(set: NftSet, gone: ReadonlySet<Elem>): void {
    const m = this.index(set);
    const was = set.elems;
    const d = this.frozen.has(was) ? { base: was, added: [], removed: new Set<Elem>() } : this.derived.get(was);
    set.elems = was.filter((e) => !gone.has(e));
    this.indexes.set(set.elems, m);
    if (d) {
      const added = d.added.filter((e) => !gone.has(e));
      const removed = new Set(d.removed);
      for (const e of gone) if (!d.added.includes(e)) removed.add(e);
      this.derived.set(set.elems, { base: d.base, added, removed });
    }
    for (const e of gone) this.setKey(m, elemKey(e), undefined);
  }
}
