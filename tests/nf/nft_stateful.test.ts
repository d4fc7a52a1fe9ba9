// limit and log in nft_do_chain, on the stack's clock: a token bucket refilled by the time the control plane
// advances (nft_limit_eval: tokens += now - last, capped at tokens_max; a packet takes its cost or breaks out
// of the rule), and log records read by TypeScript as nf_log hands them to a logger (prefix, hook, devices,
// mark, the packet from its network header; a group's snaplen), with a full ring counting what it lost.
// Every expected value is derived by hand from the rule.

import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import type { Datapath } from '../../src/index.js';
import type { NftLogEntry } from '../../src/control/nft.js';
import { ipv4, udp } from '../support/frames.js';
import { ChainRunner, nftDatapath } from './nft_support.js';

const NF_DROP = 0;
const NF_ACCEPT = 1;
const built = existsSync(new URL('../../build/fastpath.wasm', import.meta.url));

const RULES = `
table inet t {
	chain c {
		type filter hook forward priority filter; policy drop;
		udp dport 9 limit rate 2/second burst 2 packets accept
		udp dport 10 limit rate 1000 bytes/second accept
		udp dport 11 limit rate over 1/second burst 1 packets drop
		udp dport 11 accept
		udp dport 20 log prefix "in: " level info
		udp dport 20 log group 3 snaplen 40
		udp dport 20 meta mark set 0x9 accept
	}
}
`;

describe.skipIf(!built)('limit and log over the stack clock and the log ring', () => {
  let dp: Datapath;
  let run: ChainRunner;
  let eth0 = 0;
  let eth1 = 0;
  /** A UDP datagram to `dport` of `len` bytes from its IP header on. */
  const pkt = (dport: number, len = 28): Uint8Array => ipv4({ src: '192.0.2.2', dst: '203.0.113.5', proto: 17, payload: udp('192.0.2.2', '203.0.113.5', 5353, dport, new Uint8Array(len - 28).fill(0xab)) });
  const verdicts = (dport: number, n: number, len?: number): number[] => Array.from({ length: n }, () => run.run('inet', 't', 'c', pkt(dport, len), { iif: eth0, oif: eth1, mark: 7 }).verdict);

  beforeAll(async () => {
    dp = await nftDatapath(['eth0', 'eth1']);
    eth0 = dp.links.indexes().find((i) => dp.links.name(i) === 'eth0')!;
    eth1 = dp.links.indexes().find((i) => dp.links.name(i) === 'eth1')!;
    dp.nft(RULES);
    run = new ChainRunner(dp);
  });

  it('takes a packet limit\'s burst at once, then one packet per 1 / rate of the clock, never more than the burst', () => {
    // cost 500 ms, bucket 2 × 500 ms: full at load
    expect(verdicts(9, 3)).toEqual([NF_ACCEPT, NF_ACCEPT, NF_DROP]);
    dp.stack.advance(499);
    expect(verdicts(9, 1)).toEqual([NF_DROP]); // 499 ms of tokens: short of one cost
    dp.stack.advance(1);
    expect(verdicts(9, 2)).toEqual([NF_ACCEPT, NF_DROP]); // the failed packet kept its 499 ms: 500 now
    dp.stack.advance(10_000);
    expect(verdicts(9, 3)).toEqual([NF_ACCEPT, NF_ACCEPT, NF_DROP]); // capped at tokens_max: two again
  });

  it('charges a byte limit by length: nsecs × len / rate', () => {
    dp.stack.advance(5_000); // a full bucket: 1 s × (1000 + 0) / 1000
    // 400 bytes cost 400 ms: two fit in 1000 ms, the third finds 200
    expect(verdicts(10, 3, 400)).toEqual([NF_ACCEPT, NF_ACCEPT, NF_DROP]);
    dp.stack.advance(199);
    expect(verdicts(10, 1, 400)).toEqual([NF_DROP]); // 399 ms
    dp.stack.advance(1);
    expect(verdicts(10, 1, 400)).toEqual([NF_ACCEPT]);
    expect(verdicts(10, 1, 28)).toEqual([NF_DROP]); // 0 left: even 28 ms is too much
  });

  it('matches an inverted limit only over the rate', () => {
    dp.stack.advance(5_000);
    expect(verdicts(11, 3)).toEqual([NF_ACCEPT, NF_DROP, NF_DROP]);
    dp.stack.advance(1_000);
    expect(verdicts(11, 2)).toEqual([NF_ACCEPT, NF_DROP]);
  });

  it('records each log statement\'s entry for TypeScript, without changing the verdict', () => {
    const seen: NftLogEntry[] = [];
    const l = (e: NftLogEntry): void => void seen.push(e);
    dp.nftables.on('log', l);
    dp.nftables.pollLog();
    const p = pkt(20, 100);
    const mac = Uint8Array.of(2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0x99, 8, 0);
    expect(run.run('inet', 't', 'c', p, { iif: eth0, oif: eth1, mark: 7, mac })).toEqual({ verdict: NF_ACCEPT, mark: 9 });
    const got = dp.nftables.pollLog();
    dp.nftables.off('log', l);
    expect(seen).toEqual(got);
    expect(got).toHaveLength(2);
    const common = { hook: 'forward', family: 'ip', flags: 0, iif: 'eth0', oif: 'eth1', mark: 7, len: 100, src: '192.0.2.2', dst: '203.0.113.5', proto: 17, ttl: 64, sport: 5353, dport: 20 };
    // the mark as the packet had it at each log (the set comes after both)
    // nf_log_ip_packet's line: level info (6), the Ethernet header as it came (dst, src, type), ID 0x1234
    // (the frame builder's), the UDP length 100 - 20, the mark in hex
    const line =
      '<6>in: IN=eth0 OUT=eth1 MAC=02:00:00:00:00:01:02:00:00:00:00:99:08:00 SRC=192.0.2.2 DST=203.0.113.5 LEN=100 ' +
      'TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=UDP SPT=5353 DPT=20 LEN=80 MARK=0x7 ';
    expect(got[0]).toEqual({ ...common, prefix: 'in: ', type: 'log', level: 'info', packet: p, line });
    expect(got[1]).toEqual({ ...common, prefix: '', type: 'ulog', group: 3, packet: p.slice(0, 40) });
  });

  it('counts entries lost when the ring is full, and loses none of those it kept', () => {
    dp.nftables.pollLog();
    const lost = dp.nftables.logLost;
    for (let i = 0; i < 200; i++) run.run('inet', 't', 'c', pkt(20, 28 + (i % 50)), { iif: eth0, oif: eth1 });
    // 400 records for 256 places
    expect(dp.nftables.logLost - lost).toBe(144);
    const got = dp.nftables.pollLog();
    expect(got).toHaveLength(256);
    expect(got.map((e) => e.len)).toEqual(Array.from({ length: 128 }, (_, i) => [28 + (i % 50), 28 + (i % 50)]).flat());
    expect(dp.nftables.pollLog()).toEqual([]);
  });
});
