// Shared by the data path tests: the corpus, the kernel's recordings, hex.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as SuiteTypes from '../../scripts/program-suite.mjs';
import { loadCorpus } from '../../scripts/program-suite.mjs';

export const root = new URL('../../', import.meta.url).pathname;
export const corpus = (loadCorpus(root) as Array<{ name: string; data: Uint8Array }>).map((p) => ({ name: p.name, data: p.data }));
export const packet = (name: string): Uint8Array => {
  const p = corpus.find((c) => c.name === name);
  if (!p) throw new Error(`no corpus packet ${name}`);
  return p.data;
};

export interface RecordedPacket {
  packet: string;
  retval: number;
  action: string;
  dataOut: string;
}
/** programs/expected/<name>.json: what Linux's BPF_PROG_TEST_RUN returned per corpus packet. */
export function recorded(name: string): RecordedPacket[] {
  return (JSON.parse(readFileSync(join(root, 'programs', 'expected', `${name}.json`), 'utf8')) as { packets: RecordedPacket[] }).packets;
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export type { SuiteTypes };

/** An Ethernet frame of `len` bytes: dst, src, ethertype IPv4, then a counter pattern. */
export function frame(len: number, tag = 0): Uint8Array {
  const f = new Uint8Array(len);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1].slice(0, len), 0);
  if (len >= 14) f.set([0x08, 0x00], 12);
  for (let i = 14; i < len; i++) f[i] = (i + tag) & 0xff;
  if (len >= 18) new DataView(f.buffer).setUint32(14, tag, true);
  return f;
}
/** The tag frame() wrote (bytes 14..17). */
export const tagOf = (f: Uint8Array): number => new DataView(f.buffer, f.byteOffset).getUint32(14, true);

/**
 * An XDP program (assembler text) acting on the low two bits of the byte at `at` of frames of at least
 * `end` bytes: 0 XDP_TX, 1 bpf_redirect to ifindex `self`, 2 to `other`, 3 (and shorter frames) XDP_PASS.
 */
export function tagVerdicts(at: number, end: number, self: number, other: number): string {
  return `
      r2 = *(u32 *)(r1 + 0)
      r3 = *(u32 *)(r1 + 4)
      r4 = r2
      r4 += ${end}
      if r4 > r3 goto pass
      r5 = *(u8 *)(r2 + ${at})
      r5 &= 3
      if r5 == 0 goto tx
      if r5 == 1 goto self
      if r5 == 2 goto other
    pass:
      r0 = 2
      exit
    tx:
      r0 = 3
      exit
    self:
      r1 = ${self}
      r2 = 0
      call 23
      exit
    other:
      r1 = ${other}
      r2 = 0
      call 23
      exit`;
}
