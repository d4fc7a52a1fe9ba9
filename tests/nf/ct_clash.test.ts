// Conntrack insertion clashes, made deterministic: a datagram X passes PRE_ROUTING (its unconfirmed entry
// made, as on one CPU), then a datagram A goes all the way through the router (its entry confirmed, as on
// another CPU), then X goes on through FORWARD and POST_ROUTING, where conntrack confirm meets A's entry.
// The test drives X's hooks itself (nf_hook_slow, on a frame of its own), as the kernel runs them when a
// packet is queued between hooks (nf_queue) or raced by another CPU. What each case must give is derived
// by hand from the kernel's source (6.18, net/netfilter/nf_conntrack_core.c, nf_nat_core.c):
//   __nf_conntrack_confirm: an entry with the loser's original tuple, else its reply tuple, clashes ->
//   nf_ct_resolve_clash: !l4proto->allow_clash (TCP) -> drop, insert_failed; __nf_ct_resolve_clash merges
//   when nf_ct_can_merge (nf_ct_match: both tuples equal, or nf_ct_match_reverse: the same flow from its
//   other end); else nf_ct_resolve_clash_harder: an entry with the loser's reply tuple -> merge onto it if
//   it can merge, else drop; none -> the loser inserted by its reply direction only (1 s, IPS_NAT_CLASH).
//   NAT's port choice (get_unique_tuple) does not count an entry of the same original tuple as taken
//   (nf_conntrack_tuple_taken), nor, for the original tuple tried first, an untranslated reverse
//   collision (nf_nat_used_tuple_new): the tuple is kept and confirm resolves the clash.

import { describe, expect, it } from 'vitest';
import { Fixture, eth, ipv4, stackUnready, udp4 } from '../net/support.js';
import { H0, H1, LINKS, M0, M1, NEIGH, ROUTES, SYN, SYN_OPTS, tcpFrame } from './ct_support.js';

const unready = await stackUnready();

interface X {
  nf_hook_slow(t: number, pfi: number, hook: number, iif: number, oif: number, q: number, data: number, len: number): number;
  bigFrameAlloc(): number;
  dp_big_free(): number;
  NF_GATE_PTR: WebAssembly.Global;
}
const PRE_ROUTING = 0;
const FORWARD = 2;
const POST_ROUTING = 4;

const A = '192.0.2.2'; // inside host
const B = '203.0.113.5'; // outside host (behind 198.51.100.2)
const R = '198.51.100.1'; // the router's outside address

const dgram = (src: string, dst: string, sport: number, dport: number, id: number): Uint8Array =>
  ipv4({ src, dst, proto: 17, id }, udp4(src, dst, sport, dport, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)));
const inside = (l3: Uint8Array): Uint8Array => eth({ dst: M0, src: H0, type: 0x0800 }, l3);
const outside = (l3: Uint8Array): Uint8Array => eth({ dst: M1, src: H1, type: 0x0800 }, l3);

const ip = (b: Uint8Array, off: number): string => [...b.subarray(off, off + 4)].join('.');
const be16 = (b: Uint8Array, off: number): number => (b[off]! << 8) | b[off + 1]!;
/** Addresses and ports of an IPv4 UDP/TCP datagram (L3 first). */
const flow = (l3: Uint8Array): string => `${ip(l3, 12)}:${be16(l3, 20)} > ${ip(l3, 16)}:${be16(l3, 22)}`;
/** The UDP checksum over the pseudo-header sums to 0xffff (RFC 768). */
function udpOk(l3: Uint8Array): boolean {
  const len = be16(l3, 24);
  let s = 0;
  for (let i = 12; i < 20; i += 2) s += be16(l3, i);
  s += 17 + len;
  for (let i = 0; i < len; i += 2) s += (l3[20 + i]! << 8) | (i + 1 < len ? l3[21 + i]! : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s === 0xffff;
}

/** X's hooks, driven by the test: PRE_ROUTING now, FORWARD + POST_ROUTING at finish(). */
class Parked {
  private data = 0;
  constructor(private fx: Fixture, private l3: Uint8Array, private iif: string, private oif: string) {}
  private get x(): X {
    return this.fx.dp.stack.exports<X>();
  }
  private ifindex(name: string): number {
    return this.fx.devs.get(name)!.ifindex;
  }
  private hook(hook: number, iif: number, oif: number): boolean {
    const x = this.x;
    const table = this.fx.dp.memory.view().getUint32(x.NF_GATE_PTR.value as number, true); // NF_HOOK4's gate: the hook table
    return x.nf_hook_slow(table, 0, hook, iif, oif, 0, this.data, this.l3.length) !== 0;
  }
  preRouting(): boolean {
    const f = this.x.bigFrameAlloc() >>> 0;
    this.data = f + 256;
    const v = this.fx.dp.memory.view();
    new Uint8Array(v.buffer, v.byteOffset + this.data, this.l3.length).set(this.l3);
    return this.hook(PRE_ROUTING, this.ifindex(this.iif), 0);
  }
  /** FORWARD and POST_ROUTING: the datagram as it would leave, or undefined when a hook dropped it. */
  finish(): Uint8Array | undefined {
    const iif = this.ifindex(this.iif);
    const oif = this.ifindex(this.oif);
    if (!this.hook(FORWARD, iif, oif) || !this.hook(POST_ROUTING, 0, oif)) return undefined;
    const v = this.fx.dp.memory.view();
    const out = Uint8Array.from(new Uint8Array(v.buffer, v.byteOffset + this.data, this.l3.length));
    this.fx.dp.stack.exports<{ frame_free(a: number): void }>().frame_free(this.data); // the test's frame, given back
    return out;
  }
}

async function router(): Promise<Fixture> {
  const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
  fx.dp.conntrack.enable({ family: 'ipv4' });
  return fx;
}

const stats = (fx: Fixture) => {
  const s = fx.dp.conntrack.stats();
  return { insert: s.insert, clash_resolve: s.clash_resolve, insert_failed: s.insert_failed, drop: s.drop };
};

describe.skipIf(unready !== '')('conntrack insertion clashes (nf_ct_resolve_clash)', () => {
  it('both ends open at once: the loser is the winner reversed (original and reply tuples clash) and takes the winner, its ports kept', async () => {
    const fx = await router();
    // X: B -> A, parked after PRE_ROUTING (entry B:2000 > A:1000, unconfirmed)
    const xl3 = dgram(B, A, 2000, 1000, 7);
    const x = new Parked(fx, xl3, 'eth1', 'eth0');
    expect(x.preRouting()).toBe(true);
    // A: A -> B all the way (entry A:1000 > B:2000 confirmed)
    const a = fx.rx('eth0', inside(dgram(A, B, 1000, 2000, 9))).get('eth1') ?? [];
    expect(a.map((f) => flow(f.subarray(14)))).toEqual([`${A}:1000 > ${B}:2000`]);
    // X's source NAT (a null binding): its original tuple is A's reply, but neither is translated and
    // A's original is X's reply (nf_nat_used_tuple_new): the port stays; confirm finds A's reply tuple,
    // nf_ct_match_reverse: merged, accepted
    const out = x.finish();
    expect(out && flow(out)).toBe(`${B}:2000 > ${A}:1000`);
    expect(stats(fx)).toEqual({ insert: 1, clash_resolve: 1, insert_failed: 0, drop: 0 });
    const list = fx.dp.conntrack.list();
    expect(list.length).toBe(1);
    // nf_ct_acct_merge: X's bytes (one packet) added to the direction of its ctinfo (NEW: original)
    expect(list[0]).toMatchObject({ original: { src: A, sport: 1000, dst: B, dport: 2000 }, packets: [2, 0], bytes: [36 * 2, 0] });
  });

  it('one flow met twice under masquerade: the second gets the same port (the same original tuple is not "taken") and merges', async () => {
    const fx = await router();
    fx.dp.nat.add({ hook: 'postrouting', oif: 'eth1', type: 'masquerade' });
    const x = new Parked(fx, dgram(A, B, 1000, 2000, 7), 'eth0', 'eth1');
    expect(x.preRouting()).toBe(true);
    const a = fx.rx('eth0', inside(dgram(A, B, 1000, 2000, 9))).get('eth1') ?? [];
    expect(a.map((f) => flow(f.subarray(14)))).toEqual([`${R}:1000 > ${B}:2000`]);
    const out = x.finish()!;
    expect(flow(out)).toBe(`${R}:1000 > ${B}:2000`);
    expect(udpOk(out)).toBe(true);
    expect(stats(fx)).toEqual({ insert: 1, clash_resolve: 1, insert_failed: 0, drop: 0 });
    expect(fx.dp.conntrack.list().map((e) => e.packets)).toEqual([[2, 0]]);
  });

  it('original tuple clashes, reply tuple unique: the loser goes in by its reply direction only, for 1 s, hidden from listings', async () => {
    const fx = await router();
    const x = new Parked(fx, dgram(A, B, 1000, 2000, 7), 'eth0', 'eth1');
    expect(x.preRouting()).toBe(true);
    // A passes untranslated; then masquerade is added: X (no source NAT decided yet) gets it
    expect((fx.rx('eth0', inside(dgram(A, B, 1000, 2000, 9))).get('eth1') ?? []).map((f) => flow(f.subarray(14)))).toEqual([`${A}:1000 > ${B}:2000`]);
    fx.dp.nat.add({ hook: 'postrouting', oif: 'eth1', type: 'masquerade' });
    const out = x.finish()!;
    expect(flow(out)).toBe(`${R}:1000 > ${B}:2000`);
    expect(stats(fx)).toEqual({ insert: 1, clash_resolve: 1, insert_failed: 0, drop: 0 });
    expect(fx.dp.conntrack.list().map((e) => `${e.original.src}:${e.original.sport} ${e.reply.dst}:${e.reply.dport}`)).toEqual([`${A}:1000 ${A}:1000`]);
    // B's answer to the masqueraded port finds the hidden entry by its reply tuple: back to A:1000
    const back = fx.rx('eth1', outside(dgram(B, R, 2000, 1000, 11))).get('eth0') ?? [];
    expect(back.map((f) => flow(f.subarray(14)))).toEqual([`${B}:2000 > ${A}:1000`]);
    // one second later it has expired (IPS_FIXED_TIMEOUT: the answer did not extend it)
    fx.advance(1000);
    expect(fx.rx('eth1', outside(dgram(B, R, 2000, 1000, 12))).get('eth0')).toBeUndefined();
  });

  it('TCP does not allow clashes: the second SYN of one connection is dropped (insert_failed), its frame freed', async () => {
    const fx = await router();
    const x0 = fx.dp.stack.exports<X>();
    const syn = tcpFrame('in', A, B, 40000, 80, { seq: 100, flags: SYN, options: SYN_OPTS });
    const x = new Parked(fx, syn.subarray(14), 'eth0', 'eth1');
    expect(x.preRouting()).toBe(true);
    expect(fx.rx('eth0', syn).get('eth1')?.length).toBe(1);
    expect(x.finish()).toBeUndefined();
    expect(stats(fx)).toEqual({ insert: 1, clash_resolve: 0, insert_failed: 1, drop: 1 });
    expect(fx.drops()['NETFILTER_DROP']).toBe(1);
    expect(x0.dp_big_free()).toBe(8); // BIG_FRAMES: the dropped one is back
  });
});
