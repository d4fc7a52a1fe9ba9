// What the pcap tests share: bytes written out by hand, the expected error, and a corruption fuzz.

import fc from 'fast-check';
import { expect } from 'vitest';
import { PcapError, readPcap } from '../../src/pcap/index.js';

/** Hex pairs, with whitespace and `# comments` ignored. */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/#[^\n]*/g, '').replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) throw new Error(`bad hex: ${clean}`);
  return Uint8Array.from(clean.match(/../g) ?? [], (b) => parseInt(b, 16));
}

/** `f` throws a PcapError (PCAP_INVALID) at `offset` whose message matches `pattern`. */
export function expectPcapError(f: () => unknown, offset: number, pattern: RegExp): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(PcapError);
  const pe = err as PcapError;
  expect(pe.code).toBe('PCAP_INVALID');
  expect(pe.byteOffset).toBe(offset);
  expect(pe.message).toContain(`byte offset ${offset}`);
  expect(pe.message).toMatch(pattern);
}

/** Cut `good` anywhere and overwrite up to 4 bytes: readPcap returns or throws a PcapError, nothing else. */
export function expectOnlyPcapErrors(good: Uint8Array, numRuns = 500): void {
  fc.assert(
    fc.property(fc.nat(good.length), fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), (cut, flips) => {
      const b = good.slice(0, cut);
      for (const [at, v] of flips) if (at < b.length) b[at] = v;
      try {
        readPcap(b);
      } catch (e) {
        expect(e).toBeInstanceOf(PcapError);
      }
    }),
    { numRuns },
  );
}
