// The kernel as the oracle for the neighbour stage. In a namespace (wx-links2-<pid>-<n>) a veth pair:
// k0 holds the addresses the wxdp device holds (192.0.2.1/24, 2001:db8::1/64, fe80::1/64, MAC
// 02:00:00:00:00:01), k1 is the wire (no addresses, IPv6 off) on which AF_PACKET sends what the peer
// 02:00:00:00:00:02 would send and captures what the kernel answers. The same frames go into wxdp's
// receive path (stack_rx); then:
//  - what the kernel sends (ARP replies and requests, NA, NS) is compared byte for byte with the frame
//    written by hand from RFC 826 / RFC 4861, and what wxdp sends (its device's TX ring) with the kernel's;
//  - `ip -j neigh show` in the namespace is compared with dp.neigh.list() after the same sequence;
//  - the number, kind and order of the probes the kernel sends are compared with wxdp's over the
//    same time, the kernel in real time (checkpoints placed between its events), wxdp on its clock.
// The neighbour parameters' defaults are compared with the namespace's sysctls.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { NEIGH_PARAMS } from '../../src/control/neigh.js';
import type { NeighInfo } from '../../src/control/net_types.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { afpacket, afpacketAsync, pythonAvailability, type AfRoundResult } from '../support/afpacket.js';
import { useNamespaces, type Netns } from '../support/netns.js';
import { NeighBench, arp, cat, eth, hex, icmp6, ip4, ip6, ipv4, ipv6, llOpt, mac, naMsg, nsMsg, csum } from './neigh_env.js';

const OURS = '02:00:00:00:00:01';
const PEER = '02:00:00:00:00:02';
const BCAST = mac('ff:ff:ff:ff:ff:ff');

const nsa = useNamespaces('links2');
const py = pythonAvailability();
if (!py.ok) it.skip(`AF_PACKET unavailable: ${py.reason}`, () => {});
const ready = nsa.available.ok && py.ok;

/** The kernel host: k0 with the addresses, k1 the wire, quiet (no RA, no address generation, no DAD). */
function kernelHost(): Netns {
  const ns = nsa.set.create();
  nsa.set.veth({ ns, name: 'k0', mac: OURS, up: false }, { ns, name: 'k1', mac: PEER, up: false });
  ns.ip('link', 'set', 'k0', 'addrgenmode', 'none');
  ns.sysctl({ 'net.ipv6.conf.k1.disable_ipv6': 1, 'net.ipv6.conf.k0.accept_ra': 0, 'net.ipv6.conf.k0.dad_transmits': 0 });
  ns.ip('link', 'set', 'k0', 'up');
  ns.ip('link', 'set', 'k1', 'up');
  ns.ip('addr', 'add', '192.0.2.1/24', 'dev', 'k0');
  ns.ip('addr', 'add', '2001:db8::1/64', 'dev', 'k0', 'nodad');
  ns.ip('addr', 'add', 'fe80::1/64', 'dev', 'k0', 'nodad');
  return ns;
}

/** wxdp configured as k0 is. */
async function wxdpHost(): Promise<NeighBench> {
  const b = await NeighBench.create();
  const d = b.addDev('eth0', OURS);
  b.addrs4(d, [{ addr: '192.0.2.1', plen: 24 }]);
  b.addrs6(d, [{ addr: '2001:db8::1', plen: 64 }, { addr: 'fe80::1', plen: 64 }]);
  return b;
}

/** The kernel's `ip -j neigh show` of k0, as wxdp names the device (NOARP and NONE entries aside, as ip shows). */
function kernelNeigh(ns: Netns, family: '-4' | '-6'): NeighInfo[] {
  return ns.ipJson<NeighInfo[]>(family, 'neigh', 'show', 'dev', 'k0').map((n) => ({ ...n, dev: 'eth0' }));
}

/**
 * The kernel's entries as soon as it has any (polled every 50 ms while a background capture sends the
 * stimulus: `ip netns exec` and python take a while to start on a loaded machine).
 */
async function firstSeen(ns: Netns, family: '-4' | '-6'): Promise<NeighInfo[]> {
  for (let waited = 0; waited < 5000; waited += 50) {
    const n = kernelNeigh(ns, family);
    if (n.length) return n;
    await sleep(50);
  }
  return [];
}

const isArp = (f: Uint8Array): boolean => f[12] === 0x08 && f[13] === 0x06;
const isNd = (f: Uint8Array, type: number): boolean => f[12] === 0x86 && f[13] === 0xdd && f[20] === 58 && f[54] === type;

/** A broadcast ARP request from the peer for `tip`. */
function arpRequest(tip: string, sip = '192.0.2.2'): Uint8Array {
  return cat(eth(BCAST, mac(PEER), 0x0806), arp(1, mac(PEER), ip4(sip), new Uint8Array(6), ip4(tip)));
}

/** An ICMP echo request from the peer (192.0.2.2) to us: the kernel's reply needs the peer's address. */
function echo4(): Uint8Array {
  const icmp = Uint8Array.of(8, 0, 0, 0, 0x12, 0x34, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8);
  const c = csum(icmp);
  icmp[2] = c >> 8;
  icmp[3] = c & 0xff;
  return cat(eth(mac(OURS), mac(PEER), 0x0800), ipv4(ip4('192.0.2.2'), ip4('192.0.2.1'), 1, icmp));
}

function echo6(): Uint8Array {
  const s = ip6('2001:db8::2');
  const d = ip6('2001:db8::1');
  return cat(eth(mac(OURS), mac(PEER), 0x86dd), ipv6(s, d, 58, icmp6(s, d, Uint8Array.of(128, 0, 0, 0, 0x12, 0x34, 0, 1, 1, 2, 3, 4))));
}

function ndFrame(src: string, dst: string, ethDst: string, msg: Uint8Array): Uint8Array {
  const s = ip6(src);
  const d = ip6(dst);
  return cat(eth(mac(ethDst), mac(PEER), 0x86dd), ipv6(s, d, 58, icmp6(s, d, msg), 255));
}

describe.skipIf(!ready)('the neighbour stage against the kernel', () => {
  it('starts with the kernel\'s neighbour parameters, "default" and per device', async () => {
    const ns = kernelHost();
    const b = await wxdpHost();
    // a namespace has no neigh "default" directory (the kernel registers it for init_net only): the
    // defaults are read on the host, a device's in the namespace
    const host = spawnSync('sysctl', ['-a', '-r', '^net\\.ipv[46]\\.neigh\\.default\\.'], { encoding: 'utf8' }).stdout;
    const out = host + ns.exec(['sysctl', '-a', '-r', '^net\\.ipv[46]\\.neigh\\.k0\\.']);
    const kernel = new Map(out.trim().split('\n').map((l) => l.split(' = ') as [string, string]));
    // `sysctl -a` leaves out the deprecated ones (retrans_time, base_reachable_time): ask for them by name
    for (const fam of ['ipv4', 'ipv6']) {
      for (const name of ['retrans_time', 'base_reachable_time']) {
        kernel.set(`net.${fam}.neigh.default.${name}`, spawnSync('sysctl', ['-n', `net.${fam}.neigh.default.${name}`], { encoding: 'utf8' }).stdout.trim());
        kernel.set(`net.${fam}.neigh.k0.${name}`, ns.exec(['sysctl', '-n', `net.${fam}.neigh.k0.${name}`]).trim());
      }
    }
    let compared = 0;
    for (const fam of ['ipv4', 'ipv6'] as const) {
      for (const dev of ['default', 'k0']) {
        for (const name of NEIGH_PARAMS) {
          const k = kernel.get(`net.${fam}.neigh.${dev}.${name}`);
          if (dev === 'k0' && (name.startsWith('gc_thresh') || name === 'gc_interval')) {
            expect(k, `${fam} ${dev} ${name}`).toBeUndefined();
            continue;
          }
          expect(k, `net.${fam}.neigh.${dev}.${name} exists in the kernel`).toBeDefined();
          expect(b.dp.neigh.getParam(fam === 'ipv4' ? 'inet' : 'inet6', dev === 'k0' ? 'eth0' : 'default', name), `${fam} ${dev} ${name}`).toBe(Number(k));
          compared++;
        }
      }
    }
    // and nothing the kernel has under neigh is missing here (proxy ARP aside: not modelled)
    const names = new Set([...kernel.keys()].map((k) => k.split('.').pop()!));
    expect([...names].filter((n) => !NEIGH_PARAMS.includes(n)).sort()).toEqual([]);
    expect(compared).toBe(2 * (2 * NEIGH_PARAMS.length - 4));
  });

  it('answers an ARP request for its address as the kernel does and learns the sender STALE', async () => {
    const ns = kernelHost();
    const [r] = afpacket(ns, [{ send: [{ ifname: 'k1', frame: arpRequest('192.0.2.1') }], capture: ['k1'], windowMs: 300 }]).rounds;
    const replies = (r!.frames['k1'] ?? []).filter(isArp);
    // arp_send(ARPOP_REPLY, sip, dev, tip, sha, dev_addr, sha): no padding, 42 bytes
    const expected = cat(eth(mac(PEER), mac(OURS), 0x0806), arp(2, mac(OURS), ip4('192.0.2.1'), mac(PEER), ip4('192.0.2.2')));
    expect(replies.map(hex)).toEqual([hex(expected)]);
    const kernel = kernelNeigh(ns, '-4');
    expect(kernel).toEqual([{ dst: '192.0.2.2', dev: 'eth0', lladdr: PEER, state: ['STALE'] }]);

    const b = await wxdpHost();
    b.rx('eth0', arpRequest('192.0.2.1'));
    expect(b.dp.neigh.list({ family: 'inet', nud: 'ip' })).toEqual(kernel);
    expect(b.tx('eth0').map(hex)).toEqual(replies.map(hex));
  });

  it('asks three times, a second apart, for a peer that never answers, then gives up (FAILED), as the kernel', async () => {
    const ns = kernelHost();
    // the kernel answers the echo: its reply waits on an INCOMPLETE entry for 192.0.2.2 (looked at
    // while the capture runs, between the first and the second request)
    const run = afpacketAsync(ns, [{ send: [{ ifname: 'k1', frame: echo4() }], capture: ['k1'], windowMs: 3800 }]);
    const kStates = [(await firstSeen(ns, '-4')).map((n) => n.state)];
    const requests = ((await run).rounds[0]!.frames['k1'] ?? []).filter(isArp);
    kStates.push(kernelNeigh(ns, '-4').map((n) => n.state));
    // broadcast requests from 192.0.2.1 (the waiting reply's source: arp_announce 0) for 192.0.2.2
    const request = cat(eth(BCAST, mac(OURS), 0x0806), arp(1, mac(OURS), ip4('192.0.2.1'), new Uint8Array(6), ip4('192.0.2.2')));
    expect(requests.map(hex)).toEqual([hex(request), hex(request), hex(request)]);
    expect(kStates).toEqual([[['INCOMPLETE']], [['FAILED']]]);

    const b = await wxdpHost();
    b.rx('eth0', echo4());
    const wStates = [b.dp.neigh.list({ family: 'inet', nud: 'ip' }).map((n) => n.state)];
    const wFirst = b.tx('eth0').filter(isArp);
    b.dp.stack.advance(3400);
    wStates.push(b.dp.neigh.list({ family: 'inet', nud: 'ip' }).map((n) => n.state));
    expect(wStates).toEqual(kStates);
    expect(wFirst).toHaveLength(1); // at once, as the kernel's first
    expect([...wFirst, ...b.tx('eth0').filter(isArp)].map(hex)).toEqual(requests.map(hex));
  });

  it('STALE, used: DELAY, then after 5 s three unicast probes a second apart and FAILED, as the kernel', async () => {
    const ns = kernelHost();
    // learned STALE from a request, then used by the echo reply: DELAY (looked at during the quiet 5 s)
    // (the kernel's timer wheel lets a 5 s timer fire up to 256 ms late at HZ 250, a 1 s one 32 ms)
    const run = afpacketAsync(ns, [
      { send: [{ ifname: 'k1', frame: arpRequest('192.0.2.1') }, { ifname: 'k1', frame: echo4() }], capture: ['k1'], windowMs: 300 },
      { send: [], capture: ['k1'], windowMs: 4400 },
      { send: [], capture: ['k1'], windowMs: 4000 },
    ]);
    const kStates = [(await firstSeen(ns, '-4')).map((n) => n.state)];
    const [a, ...pr] = (await run).rounds as [AfRoundResult, AfRoundResult, AfRoundResult];
    kStates.push(kernelNeigh(ns, '-4').map((n) => n.state));
    // what the kernel sent: the ARP reply and the echo reply at once, then nothing for 5 s
    const v4 = (f: Uint8Array): boolean => isArp(f) || (f[12] === 0x08 && f[13] === 0x00);
    expect((a.frames['k1'] ?? []).filter(v4).map((f) => (isArp(f) ? 'arp-reply' : f[23] === 1 ? 'echo-reply' : 'other'))).toEqual(['arp-reply', 'echo-reply']);
    expect((pr[0]!.frames['k1'] ?? []).filter(isArp)).toEqual([]);
    // then the probes, unicast to the address it has
    const probe = cat(eth(mac(PEER), mac(OURS), 0x0806), arp(1, mac(OURS), ip4('192.0.2.1'), new Uint8Array(6), ip4('192.0.2.2')));
    expect((pr[1]!.frames['k1'] ?? []).filter(isArp).map(hex)).toEqual([hex(probe), hex(probe), hex(probe)]);
    expect(kStates).toEqual([[['DELAY']], [['FAILED']]]);

    const b = await wxdpHost();
    b.rx('eth0', arpRequest('192.0.2.1'));
    b.rx('eth0', echo4());
    const wStates = [b.dp.neigh.list({ family: 'inet', nud: 'ip' }).map((n) => n.state)];
    expect(b.tx('eth0').filter(v4).map((f) => (isArp(f) ? 'arp-reply' : f[23] === 1 ? 'echo-reply' : 'other'))).toEqual(['arp-reply', 'echo-reply']);
    b.dp.stack.advance(4700);
    expect(b.tx('eth0')).toEqual([]);
    b.dp.stack.advance(3400);
    expect(b.tx('eth0').filter(isArp).map(hex)).toEqual([hex(probe), hex(probe), hex(probe)]);
    wStates.push(b.dp.neigh.list({ family: 'inet', nud: 'ip' }).map((n) => n.state));
    expect(wStates).toEqual(kStates);
  });

  it('answers an NS for its address with the NA the kernel sends (S, O, target address), and ends in DELAY', async () => {
    const ns = kernelHost();
    const nsMc = ndFrame('2001:db8::2', 'ff02::1:ff00:1', '33:33:ff:00:00:01', nsMsg(ip6('2001:db8::1'), llOpt(1, mac(PEER))));
    const nsUc = ndFrame('2001:db8::3', '2001:db8::1', OURS, nsMsg(ip6('2001:db8::1'), llOpt(1, mac('02:00:00:00:00:03'))));
    const [r] = afpacket(ns, [{ send: [{ ifname: 'k1', frame: nsMc }, { ifname: 'k1', frame: nsUc }], capture: ['k1'], windowMs: 300 }]).rounds;
    const nas = (r!.frames['k1'] ?? []).filter((f) => isNd(f, 136));
    const na = (to: string, toMac: string, flags: number, opt: boolean): Uint8Array =>
      cat(eth(mac(toMac), mac(OURS), 0x86dd), ipv6(ip6('2001:db8::1'), ip6(to), 58,
        icmp6(ip6('2001:db8::1'), ip6(to), opt ? naMsg(ip6('2001:db8::1'), flags, llOpt(2, mac(OURS))) : naMsg(ip6('2001:db8::1'), flags)), 255));
    // multicast NS: solicited and override, with the target address option; unicast NS: solicited only, no option
    expect(nas.map(hex)).toEqual([hex(na('2001:db8::2', PEER, 0x60, true)), hex(na('2001:db8::3', '02:00:00:00:00:03', 0x40, false))]);
    const kernel = kernelNeigh(ns, '-6');
    expect(kernel.sort((x, y) => x.dst.localeCompare(y.dst))).toEqual([
      { dst: '2001:db8::2', dev: 'eth0', lladdr: PEER, state: ['DELAY'] },
      { dst: '2001:db8::3', dev: 'eth0', lladdr: '02:00:00:00:00:03', state: ['DELAY'] },
    ]);

    const b = await wxdpHost();
    b.rx('eth0', nsMc);
    b.rx('eth0', nsUc);
    expect(b.dp.neigh.list({ family: 'inet6', nud: 'ip' }).sort((x, y) => x.dst.localeCompare(y.dst))).toEqual(kernel);
    expect(b.tx('eth0').filter((f) => isNd(f, 136)).map(hex)).toEqual(nas.map(hex));
  });

  it('resolves an IPv6 peer with NS from the waiting packet\'s source to the solicited-node group, three times, as the kernel', async () => {
    const ns = kernelHost();
    const run = afpacketAsync(ns, [{ send: [{ ifname: 'k1', frame: echo6() }], capture: ['k1'], windowMs: 3800 }]);
    const kStates = [(await firstSeen(ns, '-6')).map((n) => n.state)];
    const nss = ((await run).rounds[0]!.frames['k1'] ?? []).filter((f) => isNd(f, 135));
    kStates.push(kernelNeigh(ns, '-6').map((n) => n.state));
    const sn = ip6('ff02::1:ff00:2');
    const expected = cat(eth(mac('33:33:ff:00:00:02'), mac(OURS), 0x86dd),
      ipv6(ip6('2001:db8::1'), sn, 58, icmp6(ip6('2001:db8::1'), sn, nsMsg(ip6('2001:db8::2'), llOpt(1, mac(OURS)))), 255));
    expect(nss.map(hex)).toEqual([hex(expected), hex(expected), hex(expected)]);
    expect(kStates).toEqual([[['INCOMPLETE']], [['FAILED']]]);

    const b = await wxdpHost();
    b.rx('eth0', echo6());
    const wStates = [b.dp.neigh.list({ family: 'inet6', nud: 'ip' }).map((n) => n.state)];
    b.dp.stack.advance(3400);
    wStates.push(b.dp.neigh.list({ family: 'inet6', nud: 'ip' }).map((n) => n.state));
    expect(wStates).toEqual(kStates);
    expect(b.tx('eth0').filter((f) => isNd(f, 135)).map(hex)).toEqual(nss.map(hex));
  });

  interface Step {
    frames: Uint8Array[];
    /** A per-device IPv4 conf for both sides: the sysctl's name under net.ipv4.conf.{k0,eth0}, and its value. */
    conf4?: [string, number];
    /** What neighbour.c says the entries are now (dst, state, lladdr, router): checked on both sides. */
    want: Array<[string, string, string?, boolean?]>;
  }

  /**
   * The same frames, step by step, into the kernel (AF_PACKET on k1) and into wxdp (stack_rx), and the
   * kernel's `ip -j neigh show` compared with dp.neigh.list({ nud: 'ip' }) after each step; wxdp's clock
   * moves 200 ms a step, about what a step takes the kernel (locktime, 1 s, is not crossed).
   */
  /** `parms`: net.ipv4.neigh.k0.* / eth0's on both sides before the first step. */
  async function sequence(family: '-4' | '-6', steps: Step[], parms: Record<string, number> = {}): Promise<void> {
    const ns = kernelHost();
    const b = await wxdpHost();
    for (const [k, v] of Object.entries(parms)) {
      ns.sysctl({ [`net.ipv4.neigh.k0.${k}`]: v });
      b.dp.neigh.setParam('inet', 'eth0', k, v);
    }
    const byDst = (a: NeighInfo, c: NeighInfo): number => a.dst.localeCompare(c.dst);
    for (const [i, st] of steps.entries()) {
      if (st.conf4) {
        ns.sysctl({ [`net.ipv4.conf.k0.${st.conf4[0]}`]: st.conf4[1] });
        b.conf4(b.devs.get('eth0')!, st.conf4[0], st.conf4[1]);
      }
      afpacket(ns, [{ send: st.frames.map((frame) => ({ ifname: 'k1', frame })), capture: ['k1'], windowMs: 50 }]);
      for (const f of st.frames) b.rx('eth0', f);
      b.dp.stack.advance(200);
      const kernel = kernelNeigh(ns, family).sort(byDst);
      const want = st.want.map(([dst, state, lladdr, router]) => ({ dst, dev: 'eth0', ...(lladdr ? { lladdr } : {}), ...(router ? { router: null } : {}), state: [state] }));
      expect(kernel, `the kernel after step ${i + 1}`).toEqual(want);
      expect(b.dp.neigh.list({ family: family === '-4' ? 'inet' : 'inet6', nud: 'ip' }).sort(byDst), `after step ${i + 1}`).toEqual(kernel);
    }
  }

  it('learns from ARP as the kernel: requests, replies inside locktime, address changes, gratuitous ARP by arp_accept', async () => {
    const other = '02:00:00:00:00:99';
    const replyFrom = (m: string): Uint8Array => cat(eth(mac(OURS), mac(m), 0x0806), arp(2, mac(m), ip4('192.0.2.2'), mac(OURS), ip4('192.0.2.1')));
    const garp = cat(eth(BCAST, mac('02:00:00:00:00:03'), 0x0806), arp(1, mac('02:00:00:00:00:03'), ip4('192.0.2.3'), new Uint8Array(6), ip4('192.0.2.3')));
    await sequence('-4', [
      { frames: [arpRequest('192.0.2.1')], want: [['192.0.2.2', 'STALE', PEER]] },
      // a unicast reply confirms it
      { frames: [replyFrom(PEER)], want: [['192.0.2.2', 'REACHABLE', PEER]] },
      // another address inside locktime: ignored
      { frames: [replyFrom(other)], want: [['192.0.2.2', 'REACHABLE', PEER]] },
      // a request for us overrides (neigh_event_ns): the new address, STALE
      { frames: [cat(eth(BCAST, mac(other), 0x0806), arp(1, mac(other), ip4('192.0.2.2'), new Uint8Array(6), ip4('192.0.2.1')))], want: [['192.0.2.2', 'STALE', other]] },
      // gratuitous ARP from a stranger: nothing under arp_accept 0, a STALE entry under 1
      { frames: [garp], want: [['192.0.2.2', 'STALE', other]] },
      { frames: [garp], conf4: ['arp_accept', 1], want: [['192.0.2.2', 'STALE', other], ['192.0.2.3', 'STALE', '02:00:00:00:00:03']] },
      // a stranger asking for someone else: nothing
      { frames: [arpRequest('192.0.2.77', '192.0.2.4')], want: [['192.0.2.2', 'STALE', other], ['192.0.2.3', 'STALE', '02:00:00:00:00:03']] },
      // locktime 10 s (1000 USER_HZ ticks) on both sides: the kernel's steps take their real time, which
      // on a loaded machine passed the default 1 s between the reply and the other address's
    ], { locktime: 1000 });
  });

  it('follows NA flags as the kernel: solicited, override, router', async () => {
    const na = (flags: number, m: string, dst = '2001:db8::1'): Uint8Array =>
      ndFrame('2001:db8::2', dst, dst === '2001:db8::1' ? OURS : '33:33:00:00:00:01', naMsg(ip6('2001:db8::2'), flags, llOpt(2, mac(m))));
    const other = '02:00:00:00:00:99';
    await sequence('-6', [
      { frames: [echo6()], want: [['2001:db8::2', 'INCOMPLETE']] },
      { frames: [na(0x60, PEER)], want: [['2001:db8::2', 'REACHABLE', PEER]] }, // S|O
      { frames: [na(0x40, other)], want: [['2001:db8::2', 'STALE', PEER]] }, // S, a new address without O: kept, suspect
      { frames: [na(0x20, other, 'ff02::1')], want: [['2001:db8::2', 'STALE', other]] }, // O, unsolicited
      { frames: [na(0xe0, PEER)], want: [['2001:db8::2', 'REACHABLE', PEER, true]] }, // R|S|O
      { frames: [na(0x60, PEER)], want: [['2001:db8::2', 'REACHABLE', PEER]] }, // without R the router flag goes
    ]);
  });

  it('picks the request\'s source address by arp_announce as the kernel does', async () => {
    // k0 also holds 198.51.100.1/24; the echo to that address is answered from it, to 192.0.2.2
    const echoTo = (dst: string): Uint8Array => {
      const icmp = Uint8Array.of(8, 0, 0, 0, 0x12, 0x34, 0, 1);
      const c = csum(icmp);
      icmp[2] = c >> 8;
      icmp[3] = c & 0xff;
      return cat(eth(mac(OURS), mac(PEER), 0x0800), ipv4(ip4('192.0.2.2'), ip4(dst), 1, icmp));
    };
    const sources: string[] = [];
    for (const announce of [0, 1, 2]) {
      const ns = kernelHost();
      ns.ip('addr', 'add', '198.51.100.1/24', 'dev', 'k0');
      ns.sysctl({ 'net.ipv4.conf.k0.arp_announce': announce });
      const [r] = afpacket(ns, [{ send: [{ ifname: 'k1', frame: echoTo('198.51.100.1') }], capture: ['k1'], windowMs: 300 }]).rounds;
      const req = (r!.frames['k1'] ?? []).filter(isArp)[0]!;
      sources.push(Array.from(req.subarray(28, 32)).join('.'));
      const b = await wxdpHost();
      b.addrs4(b.devs.get('eth0')!, [{ addr: '198.51.100.1', plen: 24 }]);
      b.conf4(b.devs.get('eth0')!, 'arp_announce', announce);
      b.rx('eth0', echoTo('198.51.100.1'));
      expect(b.tx('eth0').filter(isArp).map(hex), `arp_announce ${announce}`).toEqual([hex(req)]);
    }
    // 0: the waiting packet's source (local); 1: only if on the target's subnet, else inet_select_addr; 2: inet_select_addr
    expect(sources).toEqual(['198.51.100.1', '192.0.2.1', '192.0.2.1']);
  });

});
