// SYN cookies and the conntrack kfuncs, with programs/xdp_syncookie.o. The cookies are derived here from
// the kernel's formulas (net/ipv4/syncookies.c, net/ipv6/syncookies.c) with a SipHash-2-4 of this file
// (checked against the SipHash paper's vector) over a secret the test sets:
//   cookie = H(key0, count 0) + seq + (count << 24) + ((H(key1, count) + mssind) & 0xffffff)
//   IPv4 H = siphash_4u32(saddr, daddr, sport << 16 | dport, count), each u32 as the bytes sit in memory
//   IPv6 H = siphash({ saddr, daddr, u32 count, sport, dport }) (40 bytes)
//   count = the minute of the stack clock (tcp_cookie_time); msstab v4 536/1300/1440/1460, v6 1220/1420/1440/8940
// The check accepts ack_seq - 1 made at most a minute before (MAX_SYNCOOKIE_AGE 2). The kernel's secret
// is per boot, so against the kernel (bpftool prog run, in a namespace made here, with a conntrack entry
// `conntrack -I` inserts) what is compared is what does not depend on it: verdicts, the MSS, the check of
// the ACK answering the kernel's own cookie, the conntrack answers and every error code of xdp_ct_errs.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { kernelAvailability } from '../../src/oracle/kernel.js';
import { eth, Fixture, ipv6, stackUnready } from '../net/support.js';
import { ACK, H1, LINKS, M0, M1, H0, NEIGH, SYN, l4over6, tcp4, tcpFrame } from '../nf/ct_support.js';
import type { LinkCfg, NeighCfg, RouteCfg } from '../net/support.js';
import { ipv6Bytes } from '../../src/control/addresses.js';

const unready = await stackUnready();
const OBJ = fileURLToPath(new URL('../../programs/xdp_syncookie.o', import.meta.url));
const XDP_DROP = 1;
const XDP_PASS = 2;
const XDP_TX = 3;
const EACCES = -13;

// ---- SipHash-2-4 (Aumasson & Bernstein), over bytes ----
const M64 = (1n << 64n) - 1n;
const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & M64;
function siphash(key: Uint8Array, msg: Uint8Array): bigint {
  const kv = new DataView(key.buffer, key.byteOffset, 16);
  const k0 = kv.getBigUint64(0, true);
  const k1 = kv.getBigUint64(8, true);
  let v0 = 0x736f6d6570736575n ^ k0;
  let v1 = 0x646f72616e646f6dn ^ k1;
  let v2 = 0x6c7967656e657261n ^ k0;
  let v3 = 0x7465646279746573n ^ k1;
  const round = (): void => {
    v0 = (v0 + v1) & M64; v1 = rotl(v1, 13n); v1 ^= v0; v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M64; v3 = rotl(v3, 16n); v3 ^= v2;
    v0 = (v0 + v3) & M64; v3 = rotl(v3, 21n); v3 ^= v0;
    v2 = (v2 + v1) & M64; v1 = rotl(v1, 17n); v1 ^= v2; v2 = rotl(v2, 32n);
  };
  const padded = new Uint8Array((Math.floor(msg.length / 8) + 1) * 8);
  padded.set(msg);
  padded[padded.length - 1] = msg.length & 0xff;
  const dv = new DataView(padded.buffer);
  for (let i = 0; i < padded.length; i += 8) {
    const m = dv.getBigUint64(i, true);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  v2 ^= 0xffn;
  for (let i = 0; i < 4; i++) round();
  return v0 ^ v1 ^ v2 ^ v3;
}

const SECRET = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff);
const key = (n: number): Uint8Array => SECRET.subarray(n * 16, n * 16 + 16);
const u32 = (n: number | bigint): number => Number(BigInt(n) & 0xffffffffn);
const ip4b = (s: string): number[] => s.split('.').map(Number);
const be16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];

/** cookie_hash, IPv4: siphash_4u32(saddr, daddr, sport << 16 | dport, count) keyed with secret c. */
function hash4(src: string, dst: string, sport: number, dport: number, count: number, c: number): number {
  const le = (b: number[]): number => new DataView(Uint8Array.from(b).buffer).getUint32(0, true);
  const le16 = (n: number): number => new DataView(Uint8Array.from(be16(n)).buffer).getUint16(0, true);
  const m = new DataView(new ArrayBuffer(16));
  m.setUint32(0, le(ip4b(src)), true);
  m.setUint32(4, le(ip4b(dst)), true);
  m.setUint32(8, ((le16(sport) << 16) | le16(dport)) >>> 0, true);
  m.setUint32(12, count, true);
  return u32(siphash(key(c), new Uint8Array(m.buffer)));
}
/** cookie_hash, IPv6: siphash of { saddr, daddr, u32 count, __be16 sport, __be16 dport } keyed with secret 2 + c. */
function hash6(src: string, dst: string, sport: number, dport: number, count: number, c: number): number {
  const m = new Uint8Array(40);
  m.set(ipv6Bytes(src), 0);
  m.set(ipv6Bytes(dst), 16);
  new DataView(m.buffer).setUint32(32, count, true);
  m.set([...be16(sport), ...be16(dport)], 36);
  return u32(siphash(key(2 + c), m));
}
/** secure_tcp_syn_cookie */
function cookie(h: (count: number, c: number) => number, seq: number, count: number, mssind: number): number {
  return u32(h(0, 0) + seq + count * 2 ** 24 + ((h(count, 1) + mssind) & 0xffffff));
}

const C4 = '192.0.2.2';
const S4 = '198.51.100.2';
const C6 = '2001:db8::2';
const S6 = '2001:db8:1::2';
const MSS = (v: number): number[] => [2, 4, ...be16(v)];

function tcp6Frame(src: string, dst: string, sport: number, dport: number, o: { seq: number; ack?: number; flags: number; options?: number[] }): Uint8Array {
  return eth({ dst: M0, src: H0, type: 0x86dd }, ipv6({ src, dst, nh: 6 }, tcp4('0.0.0.0', '0.0.0.0', sport, dport, o)));
}

async function load() {
  const dp = await Datapath.create();
  dp.setSyncookieSecret(SECRET);
  const obj = await dp.loadObject(OBJ);
  const facts = (k: number) => {
    const v = new DataView(obj.maps.get('facts')!.lookup(Uint8Array.of(k, 0, 0, 0))!.buffer);
    const f = [0, 4, 8, 12, 16, 20, 24, 28, 32, 36].map((o) => v.getInt32(o, true));
    return { ctError: f[0], ctDir: f[1], ctStatus: f[2], mss: f[3], genRc: f[4], checkOk: f[5], checkFuture: f[6], checkFrame: f[7], syns: f[8], acks: f[9] };
  };
  const cookieOf = (k: number): number => new DataView(obj.maps.get('cookies')!.lookup(Uint8Array.of(k, 0, 0, 0))!.buffer).getUint32(0, true);
  return { dp, obj, facts, cookieOf, run: (data: Uint8Array) => obj.program('xdp_syncookie').testRun({ data }).retval };
}

describe('SYN cookies (bpf_tcp_raw_gen/check_syncookie_ipv4/ipv6)', () => {
  it("this file's SipHash-2-4 gives the SipHash paper's vector (key 00..0f, message 00..0e)", () => {
    const k = Uint8Array.from({ length: 16 }, (_, i) => i);
    const m = Uint8Array.from({ length: 15 }, (_, i) => i);
    expect(siphash(k, m)).toBe(0xa129ca6149be45e5n);
  });

  it('an IPv4 SYN gets the kernel formula’s cookie with MSS 1460 (index 3); its ACK passes, a future one is refused', async () => {
    const { dp, facts, cookieOf, run } = await load();
    dp.stack.advance(3 * 60_000 + 5_000); // minute 3
    const syn = tcpFrame('in', C4, S4, 40000, 80, { seq: 1000, flags: SYN, options: MSS(1460) });
    expect(run(syn)).toBe(XDP_TX);
    const want = cookie((n, c) => hash4(C4, S4, 40000, 80, n, c), 1000, 3, 3);
    expect(cookieOf(0)).toBe(want);
    expect(facts(0)).toMatchObject({ ctError: -2, mss: 1460, genRc: 0, checkOk: 0, checkFuture: EACCES, syns: 1 });
    // the client's ACK with ack_seq = cookie + 1 (built here): valid this minute and the next, not after
    const ack = tcpFrame('in', C4, S4, 40000, 80, { seq: 1001, ack: u32(want + 1), flags: ACK });
    expect(run(ack)).toBe(XDP_PASS);
    expect(facts(0).checkFrame).toBe(0);
    dp.stack.advance(60_000);
    expect(run(ack)).toBe(XDP_PASS);
    dp.stack.advance(60_000);
    expect(run(ack)).toBe(XDP_DROP);
    expect(facts(0).checkFrame).toBe(EACCES);
  });

  it('the MSS is rounded down to the table (1300 for 1400, 536 below it, 536 without the option)', async () => {
    const { facts, cookieOf, run } = await load();
    const cases: [number[], number, number][] = [[MSS(1400), 1300, 1], [MSS(500), 536, 0], [[], 536, 0]];
    for (const [options, mss, ind] of cases) {
      expect(run(tcpFrame('in', C4, S4, 40001, 443, { seq: 0xfffffff0, flags: SYN, options }))).toBe(XDP_TX);
      expect(facts(0).mss).toBe(mss);
      expect(cookieOf(0)).toBe(cookie((n, c) => hash4(C4, S4, 40001, 443, n, c), 0xfffffff0, 0, ind));
    }
  });

  it('an IPv6 SYN: MSS 1440 (index 2), 1220 without the option; the ACK passes', async () => {
    const { facts, cookieOf, run } = await load();
    const h = (n: number, c: number): number => hash6(C6, S6, 50000, 22, n, c);
    expect(run(tcp6Frame(C6, S6, 50000, 22, { seq: 7, flags: SYN, options: MSS(1460) }))).toBe(XDP_TX);
    expect(cookieOf(1)).toBe(cookie(h, 7, 0, 2));
    expect(facts(1)).toMatchObject({ mss: 1440, checkOk: 0, checkFuture: EACCES });
    expect(run(tcp6Frame(C6, S6, 50000, 22, { seq: 8, ack: u32(cookie(h, 7, 0, 2) + 1), flags: ACK }))).toBe(XDP_PASS);
    // the check recovers the MSS index, and any index below 4 passes: cookie + 2 carries index 3, cookie + 3 index 4
    expect(run(tcp6Frame(C6, S6, 50000, 22, { seq: 8, ack: u32(cookie(h, 7, 0, 2) + 2), flags: ACK }))).toBe(XDP_PASS);
    expect(run(tcp6Frame(C6, S6, 50000, 22, { seq: 8, ack: u32(cookie(h, 7, 0, 2) + 3), flags: ACK }))).toBe(XDP_DROP);
    expect(run(tcp6Frame(C6, S6, 50000, 22, { seq: 7, flags: SYN }))).toBe(XDP_TX);
    expect(cookieOf(1)).toBe(cookie(h, 7, 0, 0));
    expect(facts(1).mss).toBe(1220);
  });

  it('an IPv6 SYN at minute 5: the second hash is over count 5 (bytes 32..35 of its message), the first over 0', async () => {
    const { dp, facts, cookieOf, run } = await load();
    dp.stack.advance(5 * 60_000 + 1_000);
    const h = (n: number, c: number): number => hash6(C6, S6, 50001, 443, n, c);
    expect(run(tcp6Frame(C6, S6, 50001, 443, { seq: 0x80000000, flags: SYN, options: MSS(9000) }))).toBe(XDP_TX);
    const want = cookie(h, 0x80000000, 5, 3);
    expect(cookieOf(1)).toBe(want);
    // near misses: the count in the first hash too, or in neither
    expect(want).not.toBe(u32(h(5, 0) + 0x80000000 + 5 * 2 ** 24 + ((h(5, 1) + 3) & 0xffffff)));
    expect(want).not.toBe(u32(h(0, 0) + 0x80000000 + 5 * 2 ** 24 + ((h(0, 1) + 3) & 0xffffff)));
    expect(facts(1)).toMatchObject({ mss: 8940, genRc: 0, checkOk: 0, checkFuture: EACCES });
    expect(run(tcp6Frame(C6, S6, 50001, 443, { seq: 0x80000001, ack: u32(want + 1), flags: ACK }))).toBe(XDP_PASS);
  });

  it('the secret must be 64 bytes', async () => {
    const dp = await Datapath.create();
    expect(() => dp.setSyncookieSecret(new Uint8Array(32))).toThrow(/64 bytes/);
  });
});

/** xdp_ct_errs' slots, from nf_conntrack_bpf.c and filter.c (see the program's ERR_*). */
const ERRS = [-22, -22, -22, -71, -22, -97, -64, -2, -2, -22, -22, 536, 1220, EACCES, 536, 8940];

describe('bpf_xdp_ct_lookup / bpf_ct_release', () => {
  it("answers bad input with nf_conntrack_bpf.c's errors, and the helpers theirs", async () => {
    const { obj } = await load();
    expect(obj.program('xdp_ct_errs').testRun({ data: new Uint8Array(64) }).retval).toBe(XDP_PASS);
    const m = obj.maps.get('errs')!;
    expect(ERRS.map((_, i) => Number(new DataView(m.lookup(Uint8Array.of(i, 0, 0, 0))!.buffer).getBigInt64(0, true)))).toEqual(ERRS);
  });

  it.skipIf(unready !== '')('finds an established connection in both directions (IPS_CONFIRMED, opts.dir)', async () => {
    const fx = await Fixture.create(LINKS, [], NEIGH);
    fx.dp.conntrack.enable({ family: 'ipv4' });
    fx.rx('eth0', tcpFrame('in', C4, S4, 40000, 80, { seq: 100, flags: SYN }));
    fx.rx('eth1', tcpFrame('out', S4, C4, 80, 40000, { seq: 900, ack: 101, flags: SYN | ACK }));
    expect(fx.dp.conntrack.list().length).toBe(1);
    const obj = await fx.dp.loadObject(OBJ);
    const run = (f: Uint8Array): number => obj.program('xdp_syncookie').testRun({ data: f }).retval;
    const facts = () => {
      const v = new DataView(obj.maps.get('facts')!.lookup(new Uint8Array(4))!.buffer);
      return { ctError: v.getInt32(0, true), ctDir: v.getInt32(4, true), confirmed: (v.getUint32(8, true) & 8) !== 0, syns: v.getUint32(32, true) };
    };
    expect(run(tcpFrame('in', C4, S4, 40000, 80, { seq: 101, ack: 901, flags: ACK }))).toBe(XDP_PASS);
    expect(facts()).toEqual({ ctError: 0, ctDir: 0, confirmed: true, syns: 0 });
    expect(run(tcpFrame('out', S4, C4, 80, 40000, { seq: 901, ack: 101, flags: ACK }))).toBe(XDP_PASS);
    expect(facts()).toMatchObject({ ctError: 0, ctDir: 1, confirmed: true });
    // another port: no entry, a SYN gets its cookie
    expect(run(tcpFrame('in', C4, S4, 40002, 80, { seq: 5, flags: SYN }))).toBe(XDP_TX);
    expect(facts()).toMatchObject({ ctError: -2, syns: 1 });
  });

  it.skipIf(unready !== '')('finds an IPv6 connection (36-byte tuple) in both directions', async () => {
    const links: LinkCfg[] = [
      { name: 'eth0', mac: M0, forwarding: true, v6: ['2001:db8:1::1/64'] },
      { name: 'eth1', mac: M1, forwarding: true, v6: ['2001:db8:2::1/64'] },
    ];
    const routes: RouteCfg[] = [{ dst: '2001:db8:3::/48', via: '2001:db8:2::2', dev: 'eth1' }];
    const neigh: NeighCfg[] = [
      { dev: 'eth0', addr: '2001:db8:1::2', mac: H0 },
      { dev: 'eth1', addr: '2001:db8:2::2', mac: H1 },
    ];
    const [c, sv] = ['2001:db8:1::2', '2001:db8:3::5'];
    const seg = (src: string, dst: string, sp: number, dp: number, o: Parameters<typeof tcp4>[4], fromC: boolean): Uint8Array =>
      eth(fromC ? { dst: M0, src: H0, type: 0x86dd } : { dst: M1, src: H1, type: 0x86dd }, ipv6({ src, dst, nh: 6 }, l4over6(src, dst, 6, tcp4('0.0.0.0', '0.0.0.0', sp, dp, o))));
    const fx = await Fixture.create(links, routes, neigh, { sysctls: { 'net.ipv6.conf.all.forwarding': 1 } });
    fx.dp.conntrack.enable({ family: 'ipv6' });
    const out = fx.rx('eth0', seg(c, sv, 41000, 443, { seq: 10, flags: SYN }, true));
    expect(out.get('eth1')?.length, JSON.stringify(Object.entries(fx.drops()).filter(([, v]) => v))).toBe(1);
    fx.rx('eth1', seg(sv, c, 443, 41000, { seq: 70, ack: 11, flags: SYN | ACK }, false));
    expect(fx.dp.conntrack.list().length).toBe(1);
    const obj = await fx.dp.loadObject(OBJ);
    const run = (f: Uint8Array): number => obj.program('xdp_syncookie').testRun({ data: f }).retval;
    const facts = () => {
      const v = new DataView(obj.maps.get('facts')!.lookup(Uint8Array.of(1, 0, 0, 0))!.buffer);
      return { ctError: v.getInt32(0, true), ctDir: v.getInt32(4, true), confirmed: (v.getUint32(8, true) & 8) !== 0 };
    };
    expect(run(seg(c, sv, 41000, 443, { seq: 11, ack: 71, flags: ACK }, true))).toBe(XDP_PASS);
    expect(facts()).toEqual({ ctError: 0, ctDir: 0, confirmed: true });
    expect(run(seg(sv, c, 443, 41000, { seq: 71, ack: 11, flags: ACK }, false))).toBe(XDP_PASS);
    expect(facts()).toEqual({ ctError: 0, ctDir: 1, confirmed: true });
  });
});

const avail = kernelAvailability();
const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
describe.skipIf(!avail.ok || !have('conntrack'))(`the kernel answers the same${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  it('verdicts, MSS, the check of its own cookie, the conntrack hit and the errors', () => {
    const ns = `wx-syn14-${process.pid}`;
    const dir = mkdtempSync(join(tmpdir(), 'wx-syn14-'));
    const sh = (cmd: string): string => {
      const r = spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', cmd], { encoding: 'utf8' });
      expect(r.status, `${cmd}: ${r.stderr}`).toBe(0);
      return r.stdout;
    };
    expect(spawnSync('ip', ['netns', 'add', ns]).status).toBe(0);
    try {
      // bpffs inside the exec (a new mount namespace each time): load, run and dump in one shell
      const pin = '/sys/fs/bpf/wx-syn14';
      const frames: Record<string, Uint8Array> = {
        syn4: tcpFrame('in', C4, S4, 40000, 80, { seq: 1000, flags: SYN, options: MSS(1460) }),
        syn6: tcp6Frame(C6, S6, 50000, 22, { seq: 7, flags: SYN, options: MSS(1460) }),
        ack4bad: tcpFrame('in', C4, S4, 40000, 80, { seq: 1001, ack: 12345, flags: ACK }),
        est4: tcpFrame('in', C4, S4, 40003, 80, { seq: 101, ack: 901, flags: ACK }),
        est4r: tcpFrame('out', S4, C4, 80, 40003, { seq: 901, ack: 101, flags: ACK }),
        est6r: tcp6Frame(S6, C6, 22, 50003, { seq: 901, ack: 101, flags: ACK }),
      };
      for (const [n, f] of Object.entries(frames)) writeFileSync(join(dir, n), f);
      const out = sh(
        [
          'mount -t bpf bpf /sys/fs/bpf',
          `conntrack -I -p tcp -s ${C4} -d ${S4} --sport 40003 --dport 80 --state ESTABLISHED --timeout 100 -u SEEN_REPLY >/dev/null 2>&1`,
          `conntrack -I -p tcp -s ${C6} -d ${S6} --sport 50003 --dport 22 --state ESTABLISHED --timeout 100 -u SEEN_REPLY >/dev/null 2>&1`,
          `mkdir -p ${pin} && bpftool prog loadall ${OBJ} ${pin} pinmaps ${pin}/maps`,
          ...Object.keys(frames).flatMap((n) => [
            `echo ${n} $(bpftool prog run pinned ${pin}/xdp_syncookie data_in ${join(dir, n)} | grep -o 'Return value: [0-9]*')`,
            `echo facts $(bpftool -j map dump pinned ${pin}/maps/facts)`,
          ]),
          `bpftool prog run pinned ${pin}/xdp_ct_errs data_in ${join(dir, 'syn4')} >/dev/null`,
          `echo errs $(bpftool -j map dump pinned ${pin}/maps/errs)`,
          `rm -rf ${pin}`,
        ].join(' && '),
      );
      const lines = out.trim().split('\n');
      const verdict = (n: string): number => Number(/Return value: (\d+)/.exec(lines.find((l) => l.startsWith(`${n} `))!)![1]);
      const factsAfter = (n: string, k: number) => {
        const i = lines.findIndex((l) => l.startsWith(`${n} `));
        const entries = (JSON.parse(lines[i + 1]!.slice(6)) as { formatted: { key: number; value: { ct_error: number; ct_dir: number; ct_status: number; mss: number; gen_rc: number; check_ok: number; check_future: number; check_frame: number } } }[]).map((e) => e.formatted);
        return entries.find((e) => e.key === k)!.value;
      };
      expect(verdict('syn4')).toBe(XDP_TX);
      expect(factsAfter('syn4', 0)).toMatchObject({ ct_error: -2, mss: 1460, gen_rc: 0, check_ok: 0, check_future: EACCES });
      expect(verdict('syn6')).toBe(XDP_TX);
      expect(factsAfter('syn6', 1)).toMatchObject({ ct_error: -2, mss: 1440, gen_rc: 0, check_ok: 0, check_future: EACCES });
      expect(verdict('ack4bad')).toBe(XDP_DROP);
      expect(factsAfter('ack4bad', 0)).toMatchObject({ check_frame: EACCES });
      expect(verdict('est4')).toBe(XDP_PASS);
      expect(factsAfter('est4', 0)).toMatchObject({ ct_error: 0, ct_dir: 0 });
      expect(factsAfter('est4', 0).ct_status & 8).toBe(8);
      expect(verdict('est4r')).toBe(XDP_PASS);
      expect(factsAfter('est4r', 0)).toMatchObject({ ct_error: 0, ct_dir: 1 });
      expect(verdict('est6r')).toBe(XDP_PASS);
      expect(factsAfter('est6r', 1)).toMatchObject({ ct_error: 0, ct_dir: 1 });
      const errs = (JSON.parse(lines.find((l) => l.startsWith('errs '))!.slice(5)) as { formatted: { key: number; value: number } }[]).map((e) => e.formatted);
      expect(errs.sort((a, b) => a.key - b.key).map((e) => e.value)).toEqual(ERRS);
    } finally {
      spawnSync('ip', ['netns', 'del', ns]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
