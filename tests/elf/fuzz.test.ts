// Mutation fuzzing of the parser: real objects (every fixture), mutated — bit flips, fields set to
// boundary values, truncation, splices of other objects — with a fixed seed. parseObject must return a
// spec or throw a WxdpError (ElfError for anything about the bytes); a TypeError, RangeError or any
// other exception is a bug. Objects that parse also go through encode() and btfCodec().

import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WxdpError } from '../../src/errors.js';
import { btfCodec, ElfError, parseObject } from '../../src/elf/index.js';
import { ElfFile } from '../../src/elf/reader.js';
import { encode } from '../../src/isa/insn.js';
import { FIXTURES, fixtureBytes } from './oracle.js';

const ITERATIONS = 20_000;
const SEED = 0x5eed_e1f;

/** mulberry32: small, fast, deterministic. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const objects = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.o'))
  .sort()
  .map((f) => {
    const bytes = fixtureBytes(f);
    const elf = ElfFile.parse(bytes);
    // Where mutations matter: the headers and every section the parser reads (not DWARF).
    const regions: [number, number][] = [[0, 64]];
    const shoff = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(40, true));
    regions.push([shoff, elf.sections.length * 64]);
    for (const s of elf.sections) {
      if (s.data.length > 0 && !s.name.startsWith('.debug') && !s.name.startsWith('.rel.debug')) regions.push([s.offset, s.data.length]);
    }
    return { name: f, bytes, regions };
  });

const BOUNDARY = [0, 1, 2, 7, 8, 15, 16, 23, 24, 0x7f, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff];

function mutate(rand: () => number): { from: string; bytes: Uint8Array; how: string } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const obj = pick(objects);
  let b = Uint8Array.from(obj.bytes);
  const where = (): number => {
    if (rand() < 0.85) {
      const [start, len] = pick(obj.regions);
      return start + Math.floor(rand() * len);
    }
    return Math.floor(rand() * b.length);
  };
  const hows: string[] = [];
  const rounds = 1 + Math.floor(rand() * 3);
  for (let r = 0; r < rounds; r++) {
    const kind = Math.floor(rand() * 5);
    const at = Math.min(where(), Math.max(0, b.length - 1));
    if (kind === 0) {
      const flips = 1 + Math.floor(rand() * 8);
      for (let i = 0; i < flips; i++) {
        const p = Math.min(where(), b.length - 1);
        b[p]! ^= 1 << Math.floor(rand() * 8);
      }
      hows.push(`flip ${flips} bits`);
    } else if (kind === 1) {
      const v = pick(BOUNDARY) + (rand() < 0.2 ? b.length : 0);
      const aligned = at & ~3;
      if (aligned + 4 <= b.length) new DataView(b.buffer).setUint32(aligned, v >>> 0, true);
      hows.push(`u32 at ${aligned} = ${v}`);
    } else if (kind === 2) {
      const len = Math.floor(rand() * b.length);
      b = b.slice(0, len);
      hows.push(`truncate to ${len}`);
    } else if (kind === 3) {
      const other = pick(objects);
      const [start, len] = pick(other.regions);
      const n = Math.min(len, 1 + Math.floor(rand() * 64));
      const chunk = other.bytes.subarray(start, start + n);
      const to = Math.min(at, b.length - chunk.length);
      if (to >= 0) b.set(chunk, to);
      hows.push(`splice ${n} bytes of ${other.name} at ${to}`);
    } else {
      // Insert or delete a few bytes: shifts everything after (offsets go stale).
      const n = 1 + Math.floor(rand() * 16);
      if (rand() < 0.5) {
        const out = new Uint8Array(b.length + n);
        out.set(b.subarray(0, at));
        out.set(b.subarray(at), at + n);
        b = out;
        hows.push(`insert ${n} at ${at}`);
      } else {
        const out = new Uint8Array(Math.max(0, b.length - n));
        out.set(b.subarray(0, Math.min(at, out.length)));
        out.set(b.subarray(at + n), Math.min(at, out.length));
        b = out;
        hows.push(`delete ${n} at ${at}`);
      }
    }
  }
  return { from: obj.name, bytes: b, how: hows.join(', ') };
}

describe('parseObject under mutation', () => {
  it(`returns a spec or throws WxdpError for ${ITERATIONS} mutated objects (seed 0x${SEED.toString(16)})`, () => {
    const rand = rng(SEED);
    const outcomes = new Map<string, number>();
    let parsed = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const m = mutate(rand);
      try {
        const spec = parseObject(m.bytes, { path: m.from });
        parsed++;
        for (const p of spec.programs) encode(p.insns);
        for (const map of spec.maps) {
          for (const id of [map.keyTypeId, map.valueTypeId]) {
            if (id === undefined || !spec.btf) continue;
            try {
              const c = btfCodec(spec.btf, id);
              if (c.size <= 4096) c.encode(c.decode(new Uint8Array(c.size)));
            } catch (e) {
              if (!(e instanceof WxdpError)) throw e;
            }
          }
        }
      } catch (e) {
        if (!(e instanceof WxdpError)) {
          throw new Error(`iteration ${i}: ${m.from} (${m.how}): ${(e as Error).stack}`);
        }
        const code = e.code;
        outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
        if (e instanceof ElfError) expect(e.message.startsWith(`${m.from}: `)).toBe(true);
      }
    }
    // The mutations reach every stage: most objects still parse, and each kind of error shows up.
    expect(parsed).toBeGreaterThan(ITERATIONS / 10);
    for (const code of ['ELF_BAD_HEADER', 'ELF_BAD_SECTION', 'ELF_BAD_SYMBOL', 'ELF_BAD_RELOCATION', 'ELF_BAD_MAP', 'ELF_BAD_PROGRAM', 'BTF_INVALID']) {
      expect(outcomes.get(code) ?? 0, code).toBeGreaterThan(0);
    }
  });
});
