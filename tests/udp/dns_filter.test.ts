// programs/xdp_dns_filter.o (the README's UDP service example): the verdict for each kind of frame its
// header promises — DNS passes unless the IPv4 source is blocked; other UDP and all TCP drop; ARP, ICMP,
// ICMPv6 and fragments pass to the stack — on hand-built frames, in wxdp (testRun) and, where
// bpftool can load it, in the kernel (BPF_PROG_TEST_RUN) with the same blocklist; and the counters.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Datapath, type BpfObject } from '../../src/control/datapath.js';
import { kernelAvailability, loadKernelObject, type KernelObject } from '../../src/oracle/kernel.js';
import { root } from '../datapath/support.js';
import { eth, ipv4, ipv6, udp4 } from '../net/support.js';

const OBJECT = join(root, 'programs', 'xdp_dns_filter.o');
const XDP_DROP = 1;
const XDP_PASS = 2;
const MAC = { dst: '02:00:00:00:35:01', src: '02:00:00:00:35:02' };
const v4 = (proto: number, payload: Uint8Array, o: { src?: string; mf?: boolean; fragOff?: number } = {}) =>
  eth({ ...MAC, type: 0x0800 }, ipv4({ src: o.src ?? '192.0.2.1', dst: '192.0.2.53', proto, ...(o.mf ? { mf: true } : {}), ...(o.fragOff ? { fragOff: o.fragOff } : {}) }, payload));
const query = Uint8Array.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1]); // root, A, IN
const udp6 = (dport: number) => Uint8Array.from([0x30, 0x39, dport >> 8, dport & 0xff, 0, 8 + query.length, 0, 0, ...query]);
const tcp = (dport: number) => Uint8Array.from([0x30, 0x39, dport >> 8, dport & 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]);

// [what, frame, verdict, counter it adds to (0 DNS, 1 blocked, 2 not DNS) or -1]
const CASES: Array<[string, Uint8Array, number, number]> = [
  ['IPv4 UDP to port 53', v4(17, udp4('192.0.2.1', '192.0.2.53', 12345, 53, query)), XDP_PASS, 0],
  ['IPv4 UDP to port 53 from a blocked source', v4(17, udp4('192.0.2.66', '192.0.2.53', 12345, 53, query), { src: '192.0.2.66' }), XDP_DROP, 1],
  ['IPv4 UDP to port 161', v4(17, udp4('192.0.2.1', '192.0.2.53', 12345, 161, query)), XDP_DROP, 2],
  ['IPv4 UDP from port 53 to another port (an answer, not a query)', v4(17, udp4('192.0.2.1', '192.0.2.53', 53, 40000, query)), XDP_DROP, 2],
  ['IPv4 TCP to port 53', v4(6, tcp(53)), XDP_DROP, 2],
  ['IPv4 UDP cut inside its header', v4(17, Uint8Array.of(0x30, 0x39, 0, 53)), XDP_DROP, -1],
  ['IPv4 first fragment of a UDP datagram (to the stack to reassemble)', v4(17, udp4('192.0.2.1', '192.0.2.53', 12345, 161, query), { mf: true }), XDP_PASS, -1],
  ['IPv4 ICMP echo request', v4(1, Uint8Array.of(8, 0, 0xf7, 0xff, 0, 0, 0, 0)), XDP_PASS, -1],
  ['ARP request', eth({ dst: 'ff:ff:ff:ff:ff:ff', src: MAC.src, type: 0x0806 }, new Uint8Array(28)), XDP_PASS, -1],
  ['IPv6 UDP to port 53', eth({ ...MAC, type: 0x86dd }, ipv6({ src: '2001:db8::1', dst: '2001:db8::53', nh: 17 }, udp6(53))), XDP_PASS, 0],
  ['IPv6 UDP to port 5353', eth({ ...MAC, type: 0x86dd }, ipv6({ src: '2001:db8::1', dst: '2001:db8::53', nh: 17 }, udp6(5353))), XDP_DROP, 2],
  ['IPv6 ICMPv6 (neighbour solicitation)', eth({ ...MAC, type: 0x86dd }, ipv6({ src: '2001:db8::1', dst: 'ff02::1:ff00:53', nh: 58, hlim: 255 }, new Uint8Array(24))), XDP_PASS, -1],
  ['802.1Q-tagged IPv4 UDP to port 161', eth({ ...MAC, type: 0x0800, tags: [[0x8100, 7]] }, ipv4({ src: '192.0.2.1', dst: '192.0.2.53', proto: 17 }, udp4('192.0.2.1', '192.0.2.53', 1, 161, query))), XDP_DROP, 2],
];

const BLOCKED_KEY = Uint8Array.of(192, 0, 2, 66);
const u32le = (k: number) => Uint8Array.of(k, 0, 0, 0);
const counterOf = (b: Uint8Array | undefined) => (b === undefined ? -1 : Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true)));
const expectedCounts = [0, 1, 2].map((k) => CASES.filter((c) => c[3] === k).length);

describe('xdp_dns_filter in wxdp', () => {
  let obj: BpfObject;
  beforeAll(async () => {
    const dp = await Datapath.create();
    obj = await dp.loadObject(OBJECT);
    obj.map('blocked').update(BLOCKED_KEY, Uint8Array.of(1));
  });

  it.each(CASES)('%s', (_what, frame, verdict) => {
    expect(obj.program('xdp_dns_filter').testRun({ data: frame }).retval).toBe(verdict);
  });

  it('counted DNS passed, blocked and not-DNS frames', () => {
    expect([0, 1, 2].map((k) => counterOf(obj.map('verdicts').lookup(u32le(k))))).toEqual(expectedCounts);
  });
});

const avail = kernelAvailability();
describe.skipIf(!avail.ok)(`xdp_dns_filter in the kernel${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  let k: KernelObject;
  beforeAll(() => {
    k = loadKernelObject(OBJECT, { pinMaps: true });
    k.map('blocked').update(BLOCKED_KEY, Uint8Array.of(1));
  });
  afterAll(() => k?.close());

  it.each(CASES)('%s', (_what, frame, verdict) => {
    expect(k.program('xdp_dns_filter').run({ data: frame }).retval).toBe(verdict);
  });

  it('counted the same', () => {
    const dump = new Map(k.map('verdicts').dump().map((e) => [e.key[0]!, counterOf(e.value)]));
    expect([0, 1, 2].map((i) => dump.get(i))).toEqual(expectedCounts);
  });
});
