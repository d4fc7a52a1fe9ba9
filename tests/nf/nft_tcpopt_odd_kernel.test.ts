// TCP option writes at odd offsets against the kernel (review rv56): `tcp option maxseg size set` on an MSS option
// that a NOP puts at an odd offset (its value straddles two 16-bit words of the checksum), and the 4-byte write of a
// timestamp's tsval likewise — nft_exthdr_tcp_set_eval updates the checksum with inet_proto_csum_replace2 / _4 of the
// raw bytes whatever their alignment. A Linux 6.18 router in namespaces and wxdp, the same SYNs, the rewritten
// segments compared byte for byte (checksums included).

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { stackUnready } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { SYN, tcpFrame } from './ct_support.js';
import { expectOursAsKernel, kernelNftRun } from './nft_kernel_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const RULESET = `table inet m {
	chain forward {
		type filter hook forward priority filter; policy accept;
		tcp dport 4901 tcp flags syn tcp option maxseg size set 1200 counter
		tcp dport 4902 tcp option timestamp tsval set 0x01020304 counter
	}
}
`;

const MSS = (n: number): number[] => [2, 4, n >> 8, n & 0xff];
const TS = (v: number): number[] => [8, 10, 0, 0, (v >> 8) & 0xff, v & 0xff, 0, 0, 0, 0];
const seg = (dport: number, i: number, options: number[]): Uint8Array =>
  tcpFrame('in', '192.0.2.2', '203.0.113.5', 40900 + i, dport, { seq: 0x1234567 + i * 977, flags: SYN, options });

// [dport, frames, how many go through, host]: every segment is forwarded, rewritten or not
const RUNS: Array<[number, number, number, number]> = [
  [4901, 4, 4, 5],
  [4902, 3, 3, 5],
];
const FRAMES = [
  seg(4901, 0, [1, ...MSS(1460), 0, 0, 0]), // MSS at 21: its value at 23-24
  seg(4901, 1, [1, 1, 1, ...MSS(1400), 0]), // at 23: the value at 25-26
  seg(4901, 2, [1, ...MSS(0xffff), 0, 0, 0]), // a value whose bytes differ
  seg(4901, 3, [1, ...MSS(1201), 0, 0, 0]),
  seg(4902, 0, [1, ...TS(0x5a5a), 0]), // the timestamp at 21: tsval at 23-26
  seg(4902, 1, [1, 1, 1, ...TS(0xa5), 0, 0, 0]), // at 23: tsval at 25-28
  seg(4902, 2, [...TS(0xff00), 0, 0]), // at 20 (even)
];

describe.skipIf(unready !== '' || noKernel !== '')(`TCP option writes at odd offsets, the stack against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RULESET, FRAMES, 'rv56to');

  it(`rewrites the ${FRAMES.length} segments as the kernel does, checksums included`, async () => {
    await expectOursAsKernel(kern, RULESET, FRAMES, RUNS);
    // not a copy compared with a copy: the kernel wrote 1200 (04b0) and the tsval
    expect(kern.out[0]![0]).toContain('020404b0');
    expect(kern.out[4]![0]).toContain('080a01020304');
  });
});
