// The conntrack table and NAT through the API: the limit with early drop (nf_conntrack_max, the kernel's
// eviction of an unassured entry, a full table of assured ones dropping the new packet), timeouts by the
// stack clock (UDP 30 s unreplied) and the collector's destroy events, malformed TCP left without an entry
// (and so untranslated, as Linux forwards an invalid packet past masquerade), NAT port exhaustion (the
// third connection into a two-port range: insert_failed, dropped), the API's refusals, and `wxdp
// conntrack -L` against dp.listen.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { NetError } from '../../src/control/net_types.js';
import { Fixture, eth, ipv4, stackUnready, udp4 } from '../net/support.js';
import { ACK, FIN, H0, LINKS, M0, NEIGH, ROUTES, SYN, SYN_OPTS, tcpFrame } from './ct_support.js';

const unready = await stackUnready();
const udpIn = (src: string, sport: number, dst = '203.0.113.5', dport = 53): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src, dst, proto: 17, id: 7 }, udp4(src, dst, sport, dport, new Uint8Array(8))));

async function router(opts: { max?: number; buckets?: number } = {}): Promise<Fixture> {
  const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
  fx.dp.conntrack.enable({ family: 'ipv4', ...opts });
  return fx;
}

describe.skipIf(unready !== '')('the conntrack table', () => {
  // gc_worker (nf_conntrack_core.c) runs 1 s after conntrack starts, then after the average remaining
  // timeout of the entries it walked (each tuple of the chain, clamped to [1 s, 300 s]) — starting from
  // 60 s weighted as 100 entries, so the UDP entry's two tuples at 29 s give 60 − 0.306 − 0.300 =
  // 59.394 s: the next run at 60.394 s. An expired entry is out of the listing at once (ctnetlink's dump
  // skips it); it is deleted, with its destroy event, by that run.
  it('a new UDP flow is [UNREPLIED] for 30 s, then the collector deletes it with a destroy event at its next run', async () => {
    const fx = await router();
    const events: string[] = [];
    fx.dp.conntrack.on('event', (e) => events.push(`${e.type} ${e.proto} ${e.original.src}:${e.original.sport}`));
    expect(fx.rx('eth0', udpIn('192.0.2.2', 1111)).get('eth1')?.length).toBe(1);
    const [e] = fx.dp.conntrack.list();
    expect(e).toMatchObject({ proto: 'udp', timeout: 30, unreplied: true, assured: false, original: { src: '192.0.2.2', dst: '203.0.113.5', sport: 1111, dport: 53 } });
    fx.advance(29_000);
    expect(fx.dp.conntrack.list().length).toBe(1);
    fx.advance(1_000);
    expect(fx.dp.conntrack.list().length).toBe(0);
    fx.dp.conntrack.poll();
    expect(events).toEqual(['new udp 192.0.2.2:1111']);
    fx.advance(30_000); // 60 s
    fx.dp.conntrack.poll();
    expect(events).toEqual(['new udp 192.0.2.2:1111']);
    fx.advance(1_000); // 61 s: past 60.394 s
    fx.dp.conntrack.poll();
    expect(events).toEqual(['new udp 192.0.2.2:1111', 'destroy udp 192.0.2.2:1111']);
  });

  it('net.netfilter.* sysctls start at the kernel defaults (6.18 measured) and apply to new entries', async () => {
    const fx = await router();
    const want: Record<string, number> = {
      nf_conntrack_tcp_be_liberal: 0, nf_conntrack_tcp_loose: 1, nf_conntrack_checksum: 1, nf_conntrack_tcp_max_retrans: 3,
      nf_conntrack_tcp_timeout_established: 432000, nf_conntrack_tcp_timeout_time_wait: 120, nf_conntrack_tcp_timeout_unacknowledged: 300,
      nf_conntrack_udp_timeout: 30, nf_conntrack_udp_timeout_stream: 120, nf_conntrack_icmp_timeout: 30, nf_conntrack_icmpv6_timeout: 30,
      nf_conntrack_generic_timeout: 600,
    };
    for (const [k, v] of Object.entries(want)) expect({ k, v: fx.dp.sysctl(`net.netfilter.${k}`) }).toEqual({ k, v });
    fx.dp.sysctl('net.netfilter.nf_conntrack_udp_timeout', 10);
    fx.rx('eth0', udpIn('192.0.2.2', 3333));
    expect(fx.dp.conntrack.list()[0]?.timeout).toBe(10);
  });

  it('with the table full, a new flow evicts the unassured entries of its bucket (early_drop_list)', async () => {
    const fx = await router({ max: 2, buckets: 1 });
    for (const p of [1, 2, 3]) expect(fx.rx('eth0', udpIn('192.0.2.2', 2000 + p)).get('eth1')?.length).toBe(1);
    expect(fx.dp.conntrack.list().map((e) => e.original.sport)).toEqual([2003]);
    expect(fx.dp.conntrack.stats()).toMatchObject({ early_drop: 2, insert: 3, drop: 0 });
  });

  it('with the table full of assured TCP connections, a new SYN is dropped (nf_conntrack: table full)', async () => {
    const fx = await router({ max: 2, buckets: 1 });
    for (const p of [1, 2]) {
      fx.rx('eth0', tcpFrame('in', '192.0.2.2', '203.0.113.5', 40000 + p, 80, { seq: 100, flags: SYN, options: SYN_OPTS }));
      fx.rx('eth1', tcpFrame('out', '203.0.113.5', '192.0.2.2', 80, 40000 + p, { seq: 900, ack: 101, flags: SYN | ACK, options: SYN_OPTS }));
      fx.rx('eth0', tcpFrame('in', '192.0.2.2', '203.0.113.5', 40000 + p, 80, { seq: 101, ack: 901, flags: ACK }));
    }
    expect(fx.dp.conntrack.list().map((e) => `${e.state} ${e.assured}`)).toEqual(['ESTABLISHED true', 'ESTABLISHED true']);
    const out = fx.rx('eth0', tcpFrame('in', '192.0.2.2', '203.0.113.5', 40003, 80, { seq: 100, flags: SYN, options: SYN_OPTS }));
    expect(out.get('eth1')).toBeUndefined();
    expect(fx.dp.conntrack.stats()).toMatchObject({ drop: 1, early_drop: 0 });
    expect(fx.drops()['NETFILTER_DROP']).toBe(1);
  });

  it('TCP with SYN and FIN, or a data offset under 5, gets no entry (invalid) and passes masquerade untranslated', async () => {
    const fx = await router();
    fx.dp.nat.add({ hook: 'postrouting', oif: 'eth1', type: 'masquerade' });
    const synfin = fx.rx('eth0', tcpFrame('in', '192.0.2.2', '203.0.113.5', 40000, 80, { seq: 1, flags: SYN | FIN }));
    const f = synfin.get('eth1')![0]!;
    expect([...f.subarray(14 + 12, 14 + 16)].join('.')).toBe('192.0.2.2');
    const bad = tcpFrame('in', '192.0.2.2', '203.0.113.5', 40001, 80, { seq: 1, flags: ACK });
    bad[14 + 20 + 12] = 3 << 4; // data offset 3 words
    fx.rx('eth0', bad);
    expect(fx.dp.conntrack.list()).toEqual([]);
    expect(fx.dp.conntrack.stats().invalid).toBe(2);
  });

  it('SNAT into a two-port range: two flows get 20000 and 20001, the third finds none and is dropped', async () => {
    const fx = await router();
    fx.dp.nat.seed(1);
    fx.dp.nat.add({ hook: 'postrouting', oif: 'eth1', proto: 'udp', type: 'snat', to: '198.51.100.1:20000-20001' });
    const ports: number[] = [];
    for (const h of ['192.0.2.2', '192.0.2.3', '192.0.2.4']) {
      fx.ip(`neigh replace ${h} lladdr ${H0} dev eth0 nud permanent`);
      const out = fx.rx('eth0', udpIn(h, 5000)).get('eth1') ?? [];
      for (const f of out) ports.push((f[14 + 20]! << 8) | f[14 + 21]!);
    }
    expect(ports.sort()).toEqual([20000, 20001]);
    expect(fx.dp.conntrack.stats()).toMatchObject({ insert: 2, insert_failed: 1 });
    expect(fx.mib()['nf_nat:no_tuple']).toBe(1);
  });

  it('a port hint (replaying the kernel\'s random draw) starts the search there: the port when free, the next one when held', async () => {
    const fx = await router();
    fx.dp.nat.add({ hook: 'postrouting', oif: 'eth1', proto: 'udp', type: 'snat', to: '198.51.100.1:20000-20009' });
    const ports: number[] = [];
    for (const h of ['192.0.2.2', '192.0.2.3']) {
      fx.ip(`neigh replace ${h} lladdr ${H0} dev eth0 nud permanent`);
      // nf_nat_l4proto_unique_tuple: off = get_random_u16(), then min + off % size, off++ while taken
      fx.dp.nat.seedPort('src', 20007);
      for (const f of fx.rx('eth0', udpIn(h, 5000)).get('eth1') ?? []) ports.push((f[14 + 20]! << 8) | f[14 + 21]!);
    }
    expect(ports).toEqual([20007, 20008]);
    expect(() => fx.dp.nat.seedPort('dst', 65536)).toThrow(/out of range/);
  });

  it('refuses bad NAT rules and conntrack settings with a reason', async () => {
    const fx = await router();
    const refuses = (f: () => unknown, re: RegExp): void => {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(NetError);
      expect((err as NetError).message).toMatch(re);
    };
    refuses(() => fx.dp.nat.add({ hook: 'prerouting', type: 'snat', to: '198.51.100.1' }), /snat is for postrouting or input/);
    refuses(() => fx.dp.nat.add({ hook: 'postrouting', type: 'dnat', to: '192.0.2.2' }), /dnat is for prerouting or output/);
    refuses(() => fx.dp.nat.add({ hook: 'postrouting', type: 'snat' }), /needs an address/);
    refuses(() => fx.dp.nat.add({ hook: 'postrouting', type: 'snat', proto: 'tcp', to: '198.51.100.1:70000' }), /port 70000 out of range/);
    refuses(() => fx.dp.nat.add({ hook: 'postrouting', type: 'snat', to: '198.51.100.1:80' }), /ports need proto tcp, udp or udplite/);
    refuses(() => fx.dp.nat.add({ hook: 'postrouting', type: 'masquerade', to: '198.51.100.1' }), /masquerade takes ports only/);
    refuses(() => fx.dp.nat.add({ hook: 'postrouting', type: 'masquerade', oif: 'eth9' }), /no device "eth9"/);
    refuses(() => fx.dp.nat.add({ hook: 'postrouting', type: 'snat', to: '198.51.100.9-198.51.100.1' }), /runs backwards/);
    refuses(() => fx.dp.nat.del(3), /no rule 3/);
    refuses(() => fx.dp.conntrack.enable({ max: 10 }), /fixed once enabled/);
    refuses(() => fx.dp.conntrack.enable({ max: 0 }), /max must be/);
    expect(fx.dp.nat.list()).toEqual([]);
  });
});

describe.skipIf(unready !== '')('wxdp conntrack', () => {
  it('-L against a running data path prints conntrack -L lines, --json the entries; -F empties the table', async () => {
    const fx = await router();
    fx.dp.nat.add({ hook: 'postrouting', oif: 'eth1', type: 'masquerade' });
    fx.rx('eth0', udpIn('192.0.2.2', 1234));
    const dir = mkdtempSync(join(tmpdir(), 'wx-ct15-'));
    const sock = join(dir, 'ctl.sock');
    const server = await fx.dp.listen(sock);
    try {
      const run = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
        let out = '';
        let err = '';
        const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
        return { code, out, err };
      };
      const l = await run('conntrack', '-L', '--socket', sock);
      expect(l.code).toBe(0);
      expect(l.out).toBe('udp      17 30 src=192.0.2.2 dst=203.0.113.5 sport=1234 dport=53 [UNREPLIED] src=203.0.113.5 dst=198.51.100.1 sport=53 dport=1234 mark=0 use=1\n');
      expect(l.err).toMatch(/1 flow entries have been shown/);
      const j = await run('conntrack', '-L', '-p', 'tcp', '--socket', sock, '--json');
      expect(JSON.parse(j.out)).toEqual({ entries: [] });
      expect((await run('conntrack', '-F', '--socket', sock)).code).toBe(0);
      expect((await run('conntrack', '-L', '--socket', sock)).out).toBe('');
      const bad = await run('conntrack', '-X', '--socket', sock);
      expect(bad.code).toBe(2);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
