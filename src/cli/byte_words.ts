// Key and value bytes as bpftool reads them from its command line: words of 0x-hex, octal (a leading 0) or
// decimal bytes, a run of hex digits (4 or more, even) taken as that many bytes, or `hex` first and every
// word hex. Used by `prog run --map-update` and the `map` commands (prog.ts) and the live console (live.ts).

import { usageError } from './io.js';

export function parseBytes(wordsIn: readonly string[], what: string): Uint8Array {
  let ws = wordsIn.flatMap((x) => x.split(/\s+/)).filter(Boolean);
  const hex = ws[0] === 'hex';
  if (hex) ws = ws.slice(1);
  const out: number[] = [];
  for (const x of ws) {
    if (!hex && /^[0-9a-fA-F]{4,}$/.test(x) && x.length % 2 === 0 && !/^0x/i.test(x)) {
      for (let i = 0; i < x.length; i += 2) out.push(parseInt(x.slice(i, i + 2), 16));
      continue;
    }
    const v = hex
      ? /^(0x)?[0-9a-f]+$/i.test(x) ? parseInt(x.replace(/^0x/i, ''), 16) : NaN
      : /^0x[0-9a-f]+$/i.test(x) ? parseInt(x.slice(2), 16)
      : /^0[0-7]*$/.test(x) ? parseInt(x, 8)
      : /^[1-9][0-9]*$/.test(x) ? parseInt(x, 10)
      : NaN;
    if (Number.isNaN(v)) throw usageError(`${what}: error parsing byte '${x}'${!hex && /^[0-9a-f]+$/i.test(x) ? " (hex needs 0x or the word 'hex' first)" : ''}`);
    if (v > 255) throw usageError(`${what}: byte '${x}' is over 255`);
    out.push(v);
  }
  return Uint8Array.from(out);
}
