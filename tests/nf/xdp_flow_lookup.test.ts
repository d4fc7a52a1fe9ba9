// The bpf_xdp_flow_lookup kfunc against the flowtable an nft ruleset builds (`flowtable ft` + `flow add
// @ft`), with programs/xdp_flowtable_fwd.o on both router links. This machine's kernel has no
// nf_flow_table module (nft -f answers ENOENT for a flowtable; libbpf: "extern (func ksym)
// 'bpf_xdp_flow_lookup': not found in kernel or module BTFs"), so the expectations are derived by hand
// from net/netfilter/nf_flow_table_bpf.c: opts_len ≠ 4 → NULL with opts->error -EINVAL; a family other
// than AF_INET/AF_INET6 → -EAFNOSUPPORT; a receiving device in no flowtable, or no such flow → -ENOENT;
// a hit → the tuple's entry. A hit is forwarded by the program (fib lookup, TTL − 1, MACs); the frames
// out are the input with the next hop's MACs and the TTL decremented (RFC 1624 checksum), built here.

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { eth, Fixture, ipv4, stackUnready } from '../net/support.js';
import { ACK, FIN, H0, H1, LINKS, M0, M1, NEIGH, PSH, SYN, SYN_OPTS, tcp4, tcpFrame } from './ct_support.js';
import { Datapath } from '../../src/index.js';

const unready = await stackUnready();
const PROG = fileURLToPath(new URL('../../programs/xdp_flowtable_fwd.o', import.meta.url));
const RULES = `table inet filter {
	flowtable ft {
		hook ingress priority filter
		devices = { eth0, eth1 }
	}

	chain forward {
		type filter hook forward priority filter; policy accept;
		ip protocol tcp flow add @ft
	}
}
`;
const C = '192.0.2.2';
const S = '198.51.100.2';

/** ft_stats slots (the program's header). */
const FWD = 0;
const MISS = 1;
const OTHER = 2;
const FINRST = 4;

async function router(rules: string): Promise<{ fx: Fixture; stats: () => number[]; err: () => number }> {
  const fx = await Fixture.create(LINKS, [], NEIGH);
  fx.dp.nft(rules);
  const obj = await fx.dp.loadObject(PROG);
  for (const d of ['eth0', 'eth1']) fx.devs.get(d)!.attachXdp(obj.program('xdp_flowtable_fwd'));
  const m = obj.maps.get('ft_stats')!;
  const stats = (): number[] =>
    [0, 1, 2, 3, 4, 5].map((i) => Number(new DataView(m.lookup(Uint8Array.of(i, 0, 0, 0))!.buffer).getBigUint64(0, true)));
  const e = obj.maps.get('ft_err')!;
  const err = (): number => new DataView(e.lookup(new Uint8Array(4))!.buffer).getInt32(0, true);
  return { fx, stats, err };
}

const seg = (o: Parameters<typeof tcp4>[4], fromC: boolean) => (fromC ? tcpFrame('in', C, S, 40000, 80, o) : tcpFrame('out', S, C, 80, 40000, o));
/** What leaves the router for a frame `seg` built: next hop's MACs, TTL 63, the same IP id. */
function forwarded(o: Parameters<typeof tcp4>[4], fromC: boolean): Uint8Array {
  const [src, dst, sp, dp, smac, dmac] = fromC ? [C, S, 40000, 80, M1, H1] : [S, C, 80, 40000, M0, H0];
  return eth({ dst: dmac, src: smac, type: 0x0800 }, ipv4({ src, dst, proto: 6, ttl: 63, id: 0x4000 + (o.seq & 0xfff) }, tcp4(src, dst, sp, dp, o)));
}

describe.skipIf(unready !== '')('bpf_xdp_flow_lookup (kfunc) on the nft flowtable', () => {
  it('misses (-ENOENT) until the connection is offloaded, then forwards both directions from XDP', async () => {
    const { fx, stats, err } = await router(RULES);
    const steps: Array<[Parameters<typeof tcp4>[4], boolean]> = [
      [{ seq: 1000, flags: SYN, options: SYN_OPTS }, true],
      [{ seq: 5000, ack: 1001, flags: SYN | ACK, win: 65160, options: SYN_OPTS }, false],
      [{ seq: 1001, ack: 5001, flags: ACK, win: 502 }, true], // established: the stack's forward hook offloads it
    ];
    for (const [o, fromC] of steps) {
      const out = fx.rx(fromC ? 'eth0' : 'eth1', seg(o, fromC));
      expect(out.get(fromC ? 'eth1' : 'eth0')).toEqual([forwarded(o, fromC)]);
    }
    expect(stats()[MISS]).toBe(3);
    expect(err()).toBe(-2);
    expect(fx.dp.flowtable.list().length).toBe(1);
    const data: Array<[Parameters<typeof tcp4>[4], boolean]> = [
      [{ seq: 1001, ack: 5001, flags: PSH | ACK, win: 502, data: Uint8Array.of(1, 2, 3, 4) }, true],
      [{ seq: 5001, ack: 1005, flags: PSH | ACK, win: 509, data: Uint8Array.of(5, 6) }, false],
    ];
    for (const [o, fromC] of data) {
      const out = fx.rx(fromC ? 'eth0' : 'eth1', seg(o, fromC));
      expect(out.get(fromC ? 'eth1' : 'eth0')).toEqual([forwarded(o, fromC)]);
    }
    expect(stats()[FWD]).toBe(2);
    // a FIN is a hit the program leaves to the stack (which tears the flow down)
    const fin = { seq: 1005, ack: 5003, flags: FIN | ACK, win: 502 };
    expect(fx.rx('eth0', seg(fin, true)).get('eth1')).toEqual([forwarded(fin, true)]);
    expect(stats()[FINRST]).toBe(1);
    expect(stats()[OTHER]).toBe(0);
  });

  // bpf_xdp_flow_tuple_lookup refreshes a hit with flow_offload_refresh(.., false), as the hook does: the
  // timeout moves only when `timeout - flow->timeout > HZ` in u32 arithmetic — not for a lookup half a
  // second after the add, but back to now + 10 s after nf_flowtable_tcp_timeout was lowered to 10 s.
  it('a hit refreshes the flow timeout as flow_offload_refresh(force false) does', async () => {
    const { fx, stats } = await router(RULES);
    const steps: Array<[Parameters<typeof tcp4>[4], boolean]> = [
      [{ seq: 1000, flags: SYN, options: SYN_OPTS }, true],
      [{ seq: 5000, ack: 1001, flags: SYN | ACK, win: 65160, options: SYN_OPTS }, false],
      [{ seq: 1001, ack: 5001, flags: ACK, win: 502 }, true],
    ];
    for (const [o, fromC] of steps) fx.rx(fromC ? 'eth0' : 'eth1', seg(o, fromC));
    expect(fx.dp.flowtable.list()[0]!.timeout).toBe(30);
    fx.advance(500);
    fx.rx('eth0', seg({ seq: 1001, ack: 5001, flags: PSH | ACK, win: 502, data: Uint8Array.of(1) }, true));
    expect(stats()[FWD]).toBe(1);
    expect(fx.dp.flowtable.list()[0]!.timeout).toBe(29); // 29.5 s left: not moved
    fx.dp.sysctl('net.netfilter.nf_flowtable_tcp_timeout', 10);
    fx.rx('eth0', seg({ seq: 1002, ack: 5001, flags: PSH | ACK, win: 502, data: Uint8Array.of(2) }, true));
    expect(stats()[FWD]).toBe(2);
    expect(fx.dp.flowtable.list()[0]!.timeout).toBe(10);
  });

  it('answers -ENOENT when the receiving device is in no flowtable', async () => {
    const { fx, stats, err } = await router(RULES.replace('devices = { eth0, eth1 }', 'devices = { eth1 }'));
    const o = { seq: 1000, flags: SYN, options: SYN_OPTS };
    expect(fx.rx('eth0', seg(o, true)).get('eth1')).toEqual([forwarded(o, true)]);
    expect(stats()[MISS]).toBe(1);
    expect(err()).toBe(-2);
  });
});

const obj = (n: string): string => fileURLToPath(new URL(`../../programs/${n}.o`, import.meta.url));

describe.skipIf(unready !== '')('bpf_xdp_flow_lookup: the entry read directly (PTR_TO_BTF_ID loads)', () => {
  it('the fields of a hit, each a CO-RE-relocated load through the returned pointer: addresses, ports, iifidx, l4proto, dir', async () => {
    const fx = await Fixture.create(LINKS, [], NEIGH);
    fx.dp.nft(RULES);
    const o = await fx.dp.loadObject(obj('xdp_flow_lookup_fields'));
    for (const d of ['eth0', 'eth1']) fx.devs.get(d)!.attachXdp(o.program('xdp_flow_lookup_fields'));
    const m = o.maps.get('fields')!;
    const field = (i: number): number => new DataView(m.lookup(Uint8Array.of(i, 0, 0, 0))!.buffer).getUint32(0, true);
    fx.rx('eth0', seg({ seq: 1000, flags: SYN, options: SYN_OPTS }, true));
    fx.rx('eth1', seg({ seq: 5000, ack: 1001, flags: SYN | ACK, win: 65160, options: SYN_OPTS }, false));
    fx.rx('eth0', seg({ seq: 1001, ack: 5001, flags: ACK, win: 502 }, true)); // offloaded
    expect(field(6)).toBe(0);
    const ip = (a: string): number => new DataView(Uint8Array.from(a.split('.').map(Number)).buffer).getUint32(0, true);
    const ports = (s: number, d: number): number => (((s >> 8) | ((s & 0xff) << 8)) | (((d >> 8) | ((d & 0xff) << 8)) << 16)) >>> 0;
    // from C on eth0: the original direction's tuple
    fx.rx('eth0', seg({ seq: 1001, ack: 5001, flags: PSH | ACK, win: 502, data: Uint8Array.of(1) }, true));
    expect([0, 1, 2, 3, 4, 5, 6].map(field)).toEqual([ip(C), ip(S), ports(40000, 80), fx.devs.get('eth0')!.ifindex, 6, 0, 1]);
    // from S on eth1: the reply direction's
    fx.rx('eth1', seg({ seq: 5001, ack: 1002, flags: PSH | ACK, win: 509, data: Uint8Array.of(2) }, false));
    expect([0, 1, 2, 3, 4, 5, 6].map(field)).toEqual([ip(S), ip(C), ports(80, 40000), fx.devs.get('eth1')!.ifindex, 6, 1, 2]);
  });
});

describe('bpf_xdp_flow_lookup: errors and the verifier', () => {
  it('answers NULL with opts->error -EINVAL (opts_len 8), -EAFNOSUPPORT (family 7), -ENOENT (no flowtable)', async () => {
    const dp = await Datapath.create();
    const o = await dp.loadObject(obj('xdp_flow_lookup_errs'));
    const run = (name: string): number => o.program(name).testRun({ data: new Uint8Array(64) }).retval;
    expect(run('flow_lookup_badlen')).toBe(22);
    expect(run('flow_lookup_badfamily')).toBe(97);
    expect(run('flow_lookup_noft')).toBe(2);
  });

  // The kernel types the result as PTR_TO_BTF_ID (KF_RET_NULL): before the NULL check any load is
  // "R0 invalid mem access 'ptr_or_null_'"; after it, loads are walked over the struct's BTF
  // (btf_struct_walk) — a field is read, a bare u32 at offset 0 is refused (the kernel's layout has
  // the rhash_head's next pointer there: "cannot access ptr member next …"; wxdp's has no field there:
  // its own walk's words) — and a store is "only read is supported". This machine's kernel has no
  // nf_flow_table, so the same rules were checked there on bpf_xdp_ct_lookup's struct nf_conn *
  // (KF_RET_NULL, PTR_TO_BTF_ID): CO-RE field loads after the check load; a u32 at nf_conn+12 is
  // "access beyond the end of member id (mend:2) in struct nf_conntrack_zone with off 0 size 4".
  it('the returned pointer: a field read after the NULL check loads; no check, no field, or a store are refused', async () => {
    const dp = await Datapath.create();
    await expect(dp.loadObject(obj('xdp_flow_lookup_deref'))).rejects.toThrow(/insn 19: struct flow_offload_tuple doesn't have field at offset 0/);
    await expect(dp.loadObject(obj('xdp_flow_lookup_nullderef'))).rejects.toThrow(/insn 18: R0 invalid mem access 'ptr_or_null_'/);
    await expect(dp.loadObject(obj('xdp_flow_lookup_write'))).rejects.toThrow(/only read is supported/);
    await expect(dp.loadObject(obj('xdp_flow_lookup_fields'))).resolves.toBeDefined();
  });
});
