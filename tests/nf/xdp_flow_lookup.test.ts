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

  it('answers -ENOENT when the receiving device is in no flowtable', async () => {
    const { fx, stats, err } = await router(RULES.replace('devices = { eth0, eth1 }', 'devices = { eth1 }'));
    const o = { seq: 1000, flags: SYN, options: SYN_OPTS };
    expect(fx.rx('eth0', seg(o, true)).get('eth1')).toEqual([forwarded(o, true)]);
    expect(stats()[MISS]).toBe(1);
    expect(err()).toBe(-2);
  });
});

const obj = (n: string): string => fileURLToPath(new URL(`../../programs/${n}.o`, import.meta.url));

describe('bpf_xdp_flow_lookup: errors and the verifier', () => {
  it('answers NULL with opts->error -EINVAL (opts_len 8), -EAFNOSUPPORT (family 7), -ENOENT (no flowtable)', async () => {
    const dp = await Datapath.create();
    const o = await dp.loadObject(obj('xdp_flow_lookup_errs'));
    const run = (name: string): number => o.program(name).testRun({ data: new Uint8Array(64) }).retval;
    expect(run('flow_lookup_badlen')).toBe(22);
    expect(run('flow_lookup_badfamily')).toBe(97);
    expect(run('flow_lookup_noft')).toBe(2);
  });

  // The kernel reads the struct through its BTF after the check (and words the unchecked read
  // "R0 invalid mem access 'ptr_or_null_'"); wxdp has no BTF for it, so its words are its own.
  it('the returned pointer: compared with NULL only; a read through it is refused, checked or not', async () => {
    const dp = await Datapath.create();
    await expect(dp.loadObject(obj('xdp_flow_lookup_deref'))).rejects.toThrow(/insn 19: invalid access to memory, mem_size=0 off=0 size=4/);
    await expect(dp.loadObject(obj('xdp_flow_lookup_nullderef'))).rejects.toThrow(/insn 18: R0 invalid mem access 'rdonly_mem_or_null'/);
  });
});
