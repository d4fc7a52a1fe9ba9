// --max-memory SIZE: the ceiling of the data path's memory for the commands that load an object
// (prog load|dump|run, map dump|lookup|update with OBJ.o, run). Taken out of the command's words in
// main.ts before the command parses them, so every such command accepts it in any position.
//
// SIZE is bytes, or a number with K, M or G (KiB, MiB, GiB), e.g. 512M or 4G; wasm32's 4 GiB at most.
// Maps and tables past it fail with ENOMEM naming the limit and the map.

import { WxdpError } from '../errors.js';

let maxMemory: number | undefined;

/** The --max-memory of this command line (bytes), or undefined for the default (4 GiB). */
export function cliMaxMemory(): number | undefined {
  return maxMemory;
}

const UNITS: Readonly<Record<string, number>> = { '': 1, K: 1 << 10, M: 1 << 20, G: 1 << 30 };

/** A size word: bytes, or a number with K, M or G. */
export function parseSize(text: string, what: string): number {
  const m = /^([0-9]+)([KMG]?)(?:i?B)?$/i.exec(text);
  if (!m) throw new WxdpError('USAGE', `${what}: '${text}' is not a size (bytes, or a number with K, M or G)`);
  return Number(m[1]) * UNITS[m[2]!.toUpperCase()]!;
}

/** Remove --max-memory SIZE / --max-memory=SIZE from `words` (before a `--`), remembering the last. */
export function takeMaxMemory(words: readonly string[]): string[] {
  const out: string[] = [];
  let i = 0;
  for (; i < words.length; i++) {
    const w = words[i]!;
    if (w === '--') break;
    if (w === '--max-memory') {
      const v = words[++i];
      if (v === undefined) throw new WxdpError('USAGE', '--max-memory needs a size (bytes, or a number with K, M or G)');
      maxMemory = parseSize(v, '--max-memory');
    } else if (w.startsWith('--max-memory=')) {
      maxMemory = parseSize(w.slice('--max-memory='.length), '--max-memory');
    } else {
      out.push(w);
    }
  }
  return [...out, ...words.slice(i)];
}
