// 2 MiB pages for the wasm memory, as a DPDK host gives its packet memory hugepages. V8 never asks for
// them, so under transparent huge pages' `madvise` mode (Debian's default) a random read of a big table (a
// 1M-route FIB's 64 MiB direct table, a 1M-flow flowtable) misses the TLB as well as the cache. Node
// cannot call madvise; the native addon (src/native/hugepages.c, built at `npm ci` when a compiler is
// there) does:
//
//   reads:  /sys/kernel/mm/transparent_hugepage/enabled (the mode), build/Release/wxdp_native.node,
//           /proc/self/smaps (what the memory's mappings hold, for the benches' report)
//   sets:   VM_HUGEPAGE (smaps VmFlags `hg`) on the memory's reservation up to its maximum, so pages
//           faulted in later (growth included: V8 grows in place by mprotect) come as 2 MiB pages;
//           MADV_COLLAPSE on what was resident before
//
// On by default; `hugePages: false` or WXDP_HUGEPAGES=0 leaves the memory alone. Nothing here throws: a
// missing addon, THP `never` or a refused madvise is a state the benches print, and the memory works
// on 4 KiB pages as before.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** What the addon's calls answer: an errno name or null, the range, the 2 MiB chunks advised or collapsed. */
interface AddonResult {
  error: string | null;
  start: number;
  end: number;
  chunks: number;
}

interface Addon {
  advise(bytes: Uint8Array, maxBytes: number): AddonResult;
  collapse(bytes: Uint8Array): AddonResult;
  address(bytes: Uint8Array): AddonResult;
}

/** The addon, or why there is none. */
export type AddonState = { addon: Addon; path: string } | { addon: null; why: string };

const ADDON_FILE = 'Release/wxdp_native.node';
const ADDON_URLS = [new URL(`../../build/${ADDON_FILE}`, import.meta.url), new URL(`../../../build/${ADDON_FILE}`, import.meta.url)];

let loaded: AddonState | undefined;

/**
 * @internal The native addon, loaded once (src/ under vitest and dist/src/ both look in build/), or why it
 * is absent; `paths` replaces where to look (tests of the fallback).
 */
export function hugePageAddon(paths?: readonly string[]): AddonState {
  if (!paths && loaded) return loaded;
  const require = createRequire(import.meta.url);
  let why = 'not built (npm ci builds it where a C compiler and Python are installed)';
  let state: AddonState | undefined;
  for (const p of paths ?? ADDON_URLS.map((u) => fileURLToPath(u))) {
    try {
      state = { addon: require(p) as Addon, path: p };
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'MODULE_NOT_FOUND') why = `failed to load ${p}: ${(e as Error).message.split('\n')[0]}`;
    }
  }
  state ??= { addon: null, why };
  if (!paths) loaded = state;
  return state;
}

/** The host's transparent huge page mode (always, madvise or never; null where Linux does not tell). */
export function thpMode(file = '/sys/kernel/mm/transparent_hugepage/enabled'): string | null {
  try {
    return /\[(\w+)\]/.exec(readFileSync(file, 'latin1'))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** Whether a memory should ask for 2 MiB pages: the option when given, else not when WXDP_HUGEPAGES=0. */
export function hugePagesWanted(option?: boolean): boolean {
  return option ?? process.env.WXDP_HUGEPAGES !== '0';
}

/** What asking for 2 MiB pages did to one memory. */
export interface HugePageAdvice {
  /** The THP mode when asked. */
  mode: string | null;
  /** Whether VM_HUGEPAGE was set on the memory's reservation. */
  advised: boolean;
  /** Why not, or the errno name madvise answered; null when advised. */
  why: string | null;
  /** The advised range: from the memory's start to its maximum (within its reservation; 0, 0 when not advised). */
  start: number;
  end: number;
  /** 2 MiB chunks MADV_COLLAPSE turned into huge pages, all calls added up. */
  collapsed: number;
  /** The last MADV_COLLAPSE failure (an errno name: EINVAL before Linux 6.1, EAGAIN, ENOMEM), or null. */
  collapseError: string | null;
}

/**
 * madvise(MADV_HUGEPAGE) on the memory's reservation up to `maxBytes`, then MADV_COLLAPSE on what is
 * resident; `wanted` false (the option or WXDP_HUGEPAGES=0) or THP `never` does nothing and says so.
 */
export function adviseHugePages(buffer: ArrayBufferLike, maxBytes: number, wanted: boolean, mode = thpMode(), a = hugePageAddon()): HugePageAdvice {
  const advice: HugePageAdvice = { mode, advised: false, why: null, start: 0, end: 0, collapsed: 0, collapseError: null };
  if (!wanted) advice.why = process.env.WXDP_HUGEPAGES === '0' ? 'off (WXDP_HUGEPAGES=0)' : 'off (hugePages: false)';
  else if (mode === 'never') advice.why = 'THP mode never: the kernel gives no 2 MiB pages';
  else if (mode === null) advice.why = 'no transparent huge pages on this host';
  else if (!a.addon) advice.why = `native addon ${a.why}`;
  if (advice.why !== null || !a.addon) return advice;
  const r = a.addon.advise(new Uint8Array(buffer), maxBytes);
  if (r.error !== null) {
    advice.why = `madvise(MADV_HUGEPAGE): ${r.error}`;
    return advice;
  }
  Object.assign(advice, { advised: true, start: r.start, end: r.end });
  collapseHugePages(advice, buffer);
  return advice;
}

/**
 * MADV_COLLAPSE on the 2 MiB chunks of an advised memory that hold resident 4 KiB pages: what was touched
 * before advice, or across a grow's old end (a chunk the mapping did not yet cover whole faults in 4 KiB
 * pages). Chunks already huge cost a syscall each. Does nothing for a memory that was not advised.
 */
export function collapseHugePages(advice: HugePageAdvice, buffer: ArrayBufferLike): void {
  const a = hugePageAddon();
  if (!advice.advised || !a.addon) return;
  const r = a.addon.collapse(new Uint8Array(buffer));
  advice.collapsed += r.chunks;
  if (r.error !== null) advice.collapseError = r.error;
}

/** What the kernel holds for a range of this process's memory, from /proc/self/smaps. */
export interface MappingPages {
  /** Bytes resident, and of them on 2 MiB pages (AnonHugePages). */
  rss: number;
  anonHugePages: number;
  /** Whether every mapping of the range carries VM_HUGEPAGE (VmFlags `hg`). */
  hg: boolean;
}

/** @internal smaps' totals over the mappings that overlap [start, end). */
export function mappingPages(start: number, end: number, smaps = '/proc/self/smaps'): MappingPages {
  const out: MappingPages = { rss: 0, anonHugePages: 0, hg: true };
  let text: string;
  try {
    text = readFileSync(smaps, 'latin1');
  } catch {
    return { rss: 0, anonHugePages: 0, hg: false };
  }
  let inside = false;
  let any = false;
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (m) {
      inside = parseInt(m[2]!, 16) > start && parseInt(m[1]!, 16) < end;
      any ||= inside;
      continue;
    }
    if (!inside) continue;
    const kb = /^(Rss|AnonHugePages):\s+(\d+) kB/.exec(line);
    if (kb) out[kb[1] === 'Rss' ? 'rss' : 'anonHugePages'] += Number(kb[2]) * 1024;
    else if (line.startsWith('VmFlags:') && !/\bhg\b/.test(line)) out.hg = false;
  }
  if (!any) out.hg = false;
  return out;
}

/** The benches' account of one memory's pages: the advice and what smaps says its mapping holds now. */
export interface HugePageReport extends MappingPages {
  mode: string | null;
  /** 'built' or why the addon is absent. */
  addon: string;
  advised: boolean;
  why: string | null;
  collapsed: number;
  collapseError: string | null;
}

/** The advice and the memory's mapping now (rss, AnonHugePages and `hg` over its current bytes). */
export function hugePageReport(advice: HugePageAdvice, buffer: ArrayBufferLike): HugePageReport {
  const a = hugePageAddon();
  const at = a.addon?.address(new Uint8Array(buffer));
  const pages = at && at.error === null ? mappingPages(at.start, at.end) : { rss: 0, anonHugePages: 0, hg: false };
  const { mode, advised, why, collapsed, collapseError } = advice;
  return { mode, addon: a.addon ? 'built' : `absent (${a.why})`, advised, why, collapsed, collapseError, ...pages };
}
