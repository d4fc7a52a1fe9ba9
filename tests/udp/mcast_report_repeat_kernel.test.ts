// The repeats of a group report (igmp_ifc_timer_expire, mld_ifc_work), against the kernel: each state change is
// reported net.ipv4.igmp_qrv / net.ipv6.mld_qrv times, the repeats get_random_u32_below(unsolicited_report_interval)
// + 2 jiffies apart. In a namespace pair this file creates (wx-udprep-…: H with the fixture's addresses, P capturing
// on the other end of the veth), with IGMP robustness 3 (MLD's 2: net.ipv6.mld_qrv is the initial namespace's alone,
// no other namespace has it) and report intervals of 1 ms (1 jiffy: the random part is 0, so
// the kernel's times are fixed), a Python socket in H joins and leaves an IPv4 and an IPv6 group; every report P
// captures after each call is compared with what wxdp sends for the same call as its stack clock runs, byte for byte,
// and the kernel's times with wxdp's (no repeat of the kernel's comes before wxdp's, less a jiffy: its first report
// leaves with the call, 2 jiffies before the kernel's, its repeats where the kernel's fall). Then wxdp alone: the
// default interval (1000 ms) puts a repeat anywhere in the kernel's window, or at its first jiffy with randomness off.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { useNamespaces } from '../support/netns.js';
import { Fixture, stackUnready, hex } from '../net/support.js';
import { H_MAC, LINKS, NEIGH, R_MAC } from './support.js';
import type { MembershipOp } from '../../src/control/sockets.js';

const nsa = useNamespaces('udprep');
const unready = await stackUnready();
const py = spawnSync('/usr/bin/python3', ['-c', 'import socket; socket.IP_ADD_MEMBERSHIP; socket.IPV6_JOIN_GROUP']).status === 0;
const skip = !nsa.available.ok || unready !== '' || !py;

type Call = [MembershipOp, string];
const CALLS: Call[] = [
  ['join', '239.1.2.3'],
  ['leave', '239.1.2.3'],
  ['join', 'ff0e::1:3'],
  ['leave', 'ff0e::1:3'],
];

const CODE = `
import ctypes, json, os, select, socket, struct, sys, time
cfg = json.loads(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
home = os.open('/proc/self/ns/net', os.O_RDONLY)
probe = os.open('/run/netns/' + cfg['probe'], os.O_RDONLY)
assert libc.setns(probe, 0x40000000) == 0
cap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
cap.bind(('eth0', 0))
cap.setsockopt(socket.SOL_SOCKET, 35, 1)  # SO_TIMESTAMPNS
assert libc.setns(home, 0x40000000) == 0
idx = socket.if_nametoindex('eth0')
s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
time.sleep(0.3)  # the reports of H's own groups (1 ms intervals) are over
def report(f):
    if f[12:14] == b'\\x08\\x00' and f[23] == 2:
        return True
    return f[12:14] == b'\\x86\\xdd' and f[20] == 0 and f[62] == 143
out = []
for op, group in cfg['calls']:
    while select.select([cap], [], [], 0)[0]:
        cap.recv(65535)
    t0 = time.time()
    if ':' not in group:
        s4.setsockopt(0, 35 if op == 'join' else 36, socket.inet_aton(group) + socket.inet_aton('192.0.2.1'))
    else:
        s6.setsockopt(41, 20 if op == 'join' else 21, socket.inet_pton(socket.AF_INET6, group) + struct.pack('@I', idx))
    got = []
    end = time.monotonic() + 0.12
    while time.monotonic() < end:
        if select.select([cap], [], [], 0.02)[0]:
            f, anc, _, _ = cap.recvmsg(65535, 256)
            ts = [struct.unpack('qq', d[:16]) for (l, t, d) in anc if t == 35]
            if report(f):
                got.append([f.hex(), round((ts[0][0] + ts[0][1] / 1e9 - t0) * 1000, 1) if ts else -1])
    out.append(got)
print(json.dumps(out))
`;

async function ours(): Promise<{ fx: Fixture; x: { mc_report_random(on: number): void } }> {
  const fx = await Fixture.create(LINKS, [], NEIGH);
  fx.tx();
  return { fx, x: fx.dp.fastPath.exports as unknown as { mc_report_random(on: number): void } };
}

const isReport = (x: Uint8Array): boolean => (x[12] === 8 && x[23] === 2) || (x[12] === 0x86 && x[20] === 0 && x[62] === 143);
const reports = (fx: Fixture): string[] => (fx.tx().get('eth0') ?? []).filter(isReport).map(hex);

describe.skipIf(skip)('IGMPv3 and MLDv2 report repeats, against the kernel', () => {
  it('robustness 3 at 1 ms intervals: every report the kernel sends, byte for byte, none before its time', async () => {
    const h = nsa.set.create();
    const p = nsa.set.create();
    h.sysctl({
      'net.ipv6.conf.all.accept_dad': 0, 'net.ipv6.conf.default.accept_dad': 0, 'net.ipv6.conf.default.router_solicitations': 0,
      'net.ipv4.igmp_qrv': 3,
      'net.ipv4.conf.default.igmpv3_unsolicited_report_interval': 1, 'net.ipv6.conf.default.mldv2_unsolicited_report_interval': 1,
    });
    p.sysctl({ 'net.ipv6.conf.default.disable_ipv6': 1 });
    nsa.set.veth({ ns: h, name: 'eth0', mac: R_MAC }, { ns: p, name: 'eth0', mac: H_MAC });
    h.batch(['addr add 192.0.2.1/24 brd + dev eth0', 'addr add 198.51.100.1/24 brd + dev eth0', 'addr add 2001:db8:1::1/64 dev eth0 nodad'].join('\n'));
    const r = h.spawn(['/usr/bin/python3', '-c', CODE, JSON.stringify({ probe: p.name, calls: CALLS })], { timeoutMs: 30_000 });
    if (r.status !== 0) throw new Error(`python: ${r.stderr}`);
    const kernel = JSON.parse(r.stdout) as Array<Array<[string, number]>>;
    if (process.env.REPEAT_DEBUG) console.log(JSON.stringify(kernel.map((k) => k.map(([, ms]) => ms))));
    expect(kernel.map((k) => k.length), 'the kernel\'s reports per call').toEqual([3, 3, 2, 2]);

    const { fx } = await ours();
    expect(fx.dp.stack.now() % 4, 'the calls at jiffies\' starts').toBe(0);
    fx.dp.sysctl('net.ipv4.igmp_qrv', 3);
    fx.dp.sysctl('net.ipv4.conf.eth0.igmpv3_unsolicited_report_interval', 1);
    fx.dp.sysctl('net.ipv6.conf.eth0.mldv2_unsolicited_report_interval', 1);
    const t = fx.dp.socketTable;
    const s4 = t.create({ family: 'inet' });
    const s6 = t.create({ family: 'inet6' });
    const eth0 = fx.devs.get('eth0')!.ifindex;
    CALLS.forEach(([op, group], i) => {
      const v6 = group.includes(':');
      t.membership(v6 ? s6 : s4, op, group, { iface: v6 ? eth0 : '192.0.2.1' });
      const got: Array<[string, number]> = reports(fx).map((f) => [f, 0]);
      for (let ms = 1; ms <= 100; ms++) {
        fx.advance(1);
        for (const f of reports(fx)) got.push([f, ms]);
      }
      // the kernel's timers at 2 + 1, then 0 + 2 + 1 jiffies each (the wheel a jiffy late): repeats at 24 and 36 ms
      expect(got.map(([, ms]) => ms), `${op} ${group}: wxdp's times`).toEqual(v6 ? [0, 24] : [0, 24, 36]);
      expect(got.map(([f]) => f), `${op} ${group}`).toEqual(kernel[i]!.map(([f]) => f));
      // the kernel's repeats in the jiffy that ends at wxdp's (the call fell somewhere in its first; a loaded host's
      // softirq may run later)
      kernel[i]!.slice(1).forEach(([, kms], j) => {
        expect(kms, `${op} ${group}: the kernel's repeat ${j + 1} at ${kms} ms`).toBeGreaterThanOrEqual(got[j + 1]![1] - 4.5);
        expect(kms, `${op} ${group}: the kernel's repeat ${j + 1} at ${kms} ms`).toBeLessThanOrEqual(got[j + 1]![1] + 20);
      });
    });
  }, 40_000);

  it('the default interval: a repeat within the kernel\'s window (2 + [0, 250) + 2 jiffies, the wheel\'s rounding), at its start with randomness off', async () => {
    const { fx, x } = await ours();
    const t = fx.dp.socketTable;
    const s4 = t.create({ family: 'inet' });
    const at: number[] = [];
    // each call at a jiffy's start (the kernel's times count from the jiffy the call falls in)
    const align = (): void => fx.advance((4 - (fx.dp.stack.now() % 4)) % 4);
    for (const group of ['239.1.2.5', '239.1.2.6', '239.1.2.7', '239.1.2.10', '239.1.2.11']) {
      align();
      t.membership(s4, 'join', group, { iface: '192.0.2.1' });
      expect(reports(fx).length).toBe(1);
      let when = -1;
      fx.advance(23);
      expect(reports(fx).length).toBe(0);
      for (let ms = 24; ms <= 1100 && when < 0; ms += 4) {
        fx.advance(ms === 24 ? 1 : 4);
        const n = reports(fx).length;
        if (n > 0) when = ms;
        expect(n).toBeLessThanOrEqual(1);
      }
      at.push(when);
      fx.advance(1200);
      expect(reports(fx).length, 'robustness 2: one repeat').toBe(0);
    }
    // 3 jiffies to the first timer, then tv + 2 (tv < 250) rounded up by the wheel: 6 to 262 jiffies after the call
    for (const w of at) expect(w >= 24 && w <= 262 * 4).toBe(true);
    expect(new Set(at).size, 'randomised').toBeGreaterThan(1);
    x.mc_report_random(0);
    align();
    t.membership(s4, 'join', '239.1.2.8', { iface: '192.0.2.1' });
    reports(fx);
    fx.advance(23);
    expect(reports(fx).length).toBe(0);
    fx.advance(1);
    expect(reports(fx).length).toBe(1);
    // robustness 1: no repeat
    fx.dp.sysctl('net.ipv4.igmp_qrv', 1);
    t.membership(s4, 'join', '239.1.2.9', { iface: '192.0.2.1' });
    expect(reports(fx).length).toBe(1);
    fx.advance(2000);
    expect(reports(fx).length).toBe(0);
  });
});
