// The mark of what the host sends, against the kernel: a socket's SO_MARK is its datagrams' skb->mark (the route's
// fwmark rule and postrouting's `meta mark` see it); a `type route` output chain that changes the mark has the
// datagram routed again with it (nf_route_table_hook4 / nf_route_table_hook6 → ip_route_me_harder), a filter chain's
// mark change does not re-route but travels on to postrouting. The same rule file and `ip rule add fwmark 7 lookup
// 100` in a Linux namespace (UDP sockets of Python) and in wxdp (its UDP sockets), the same sends over IPv4 and IPv6;
// postrouting's counters (per output device and mark) compared, and wxdp's frames out of eth1 / eth2 checked.

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture, stackUnready } from '../net/support.js';
import { KernelRouter, kernelUnavailable } from '../net/kernel.js';
import { udpSocket } from '../net/udp_send_support.js';
import { UdpSender } from '../../src/control/udp_send.js';
import { AF_INET, AF_INET6 } from '../../src/runtime/net_abi.js';
import { MARK_IP as IP, MARK_LINKS as LINKS, MARK_NEIGH as NEIGH, MARK_ROUTES as ROUTES } from './mark_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const RULESET = `table inet mk {
	chain rtout {
		type route hook output priority mangle; policy accept;
		udp dport 5101 meta mark set 0x00000007 counter packets 0 bytes 0
	}

	chain fltout {
		type filter hook output priority filter; policy accept;
		udp dport 5103 meta mark set 0x00000007 counter packets 0 bytes 0
	}

	chain postr {
		type filter hook postrouting priority filter; policy accept;
		oifname "eth2" meta mark 0x00000007 counter packets 0 bytes 0
		oifname "eth2" meta mark 0x00000000 counter packets 0 bytes 0
		oifname "eth1" meta mark 0x00000007 counter packets 0 bytes 0
		oifname "eth1" meta mark 0x00000000 counter packets 0 bytes 0
	}
}
`;

const FAMILIES = [
  { family: AF_INET, addr: '192.0.2.1', far: '203.0.113.5' },
  { family: AF_INET6, addr: '2001:db8:1::1', far: '2001:db8:3::5' },
] as const;
// [dport, SO_MARK]: 5101 re-routed by the route chain's mark (eth2); 5102 plain (eth1, mark 0); 5103 marked by a
// filter chain (eth1, mark 7: no re-route); 5104 from a socket with SO_MARK 7 (eth2, mark 7)
const SENDS = [[5101, 0], [5102, 0], [5103, 0], [5104, 7]] as const;

const PY = String.raw`
import socket
for fam, addr, far in ${JSON.stringify(FAMILIES.map((f) => [f.family === AF_INET ? 4 : 6, f.addr, f.far]))}:
    for dport, mark in ${JSON.stringify(SENDS)}:
        s = socket.socket(socket.AF_INET if fam == 4 else socket.AF_INET6, socket.SOCK_DGRAM)
        if mark: s.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, mark)
        s.bind((addr, 6000)); s.sendto(b'\x01', (far, dport)); s.close()
`;

async function wxdpSide(): Promise<{ rules: string; fx: Fixture }> {
  const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
  for (const line of IP) fx.dp.ip(line);
  fx.dp.nft(RULESET);
  const tx = new UdpSender(fx.dp);
  for (const { family, addr, far } of FAMILIES) {
    for (const [dport, mark] of SENDS) {
      const s = udpSocket(fx.dp, { family, v6only: family === AF_INET6, bind: { addr, port: 6000 }, ...(mark ? { mark } : {}) });
      tx.send(s, Uint8Array.of(1), { address: far, port: dport });
    }
  }
  return { rules: fx.dp.nft('list ruleset'), fx };
}

describe.skipIf(unready !== '')('a socket\'s mark and a route chain\'s re-route (wxdp side, no root)', () => {
  it('sends each datagram out of the device its mark routes it to, and counts its mark at postrouting', async () => {
    const { rules, fx } = await wxdpSide();
    const counts = [...rules.matchAll(/oifname "(eth\d)" meta mark (0x\d+) counter packets (\d+)/g)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
    // by hand: per family 5101 and 5104 leave eth2 marked 7; 5103 eth1 marked 7; 5102 eth1 unmarked
    expect(counts).toEqual(['eth2 0x00000007 4', 'eth2 0x00000000 0', 'eth1 0x00000007 2', 'eth1 0x00000000 2']);
    const out = fx.tx();
    const dports = (dev: string): number[] => (out.get(dev) ?? []).map((f) => (f[12] === 0x08 ? (f[36]! << 8) | f[37]! : (f[56]! << 8) | f[57]!));
    expect(dports('eth2')).toEqual([5101, 5104, 5101, 5104]);
    expect(dports('eth1')).toEqual([5102, 5103, 5102, 5103]);
  });
});

describe.skipIf(unready !== '' || noKernel !== '')(`a socket's mark and a route chain's re-route against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  let k: KernelRouter | undefined;
  let kernRules = '';
  beforeAll(() => {
    k = KernelRouter.create(LINKS, ROUTES, NEIGH, {}, 'nf51mo');
    const ns = (cmd: string[], input?: string): string => {
      const r = spawnSync('ip', ['netns', 'exec', k!.router, ...cmd], { input, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${cmd.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    for (const line of IP) ns(['ip', ...line.split(' ')]);
    ns(['nft', '-f', '-'], RULESET);
    ns(['python3', '-c', PY]);
    kernRules = ns(['nft', 'list', 'ruleset']);
  }, 60_000);
  afterAll(() => k?.close());

  it('counts as Linux counts', async () => {
    const { rules } = await wxdpSide();
    expect(rules).toBe(kernRules);
  });
});

// A datagram an output or postrouting chain drops is an error to its sender: nf_hook_slow's NF_DROP is -EPERM, which
// ip_local_out / ip_output hand back through ip_send_skb (Ip:OutDiscards) to sendto; a route chain's re-mark to a
// mark whose table has no route fails the send with ip_route_me_harder's error.
const DROPS = `table inet dr {
	chain o {
		type filter hook output priority filter; policy accept;
		udp dport 5200 drop
	}

	chain rto {
		type route hook output priority mangle; policy accept;
		udp dport 5202 meta mark set 0x00000009
	}

	chain p {
		type filter hook postrouting priority filter; policy accept;
		udp dport 5201 drop
	}
}
`;
const DROP_IP = [...IP, 'rule add fwmark 9 lookup 109 pref 90', '-6 rule add fwmark 9 lookup 109 pref 90', 'route add unreachable default table 109', '-6 route add unreachable default table 109'];
const DROP_PY = String.raw`
import errno, json, socket
out = []
for fam, addr, far in ${JSON.stringify(FAMILIES.map((f) => [f.family === AF_INET ? 4 : 6, f.addr, f.far]))}:
    for dport in (5200, 5201, 5202, 5203):
        s = socket.socket(socket.AF_INET if fam == 4 else socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind((addr, 6100))
        try:
            s.sendto(b'\x01', (far, dport)); out.append('ok')
        except OSError as e:
            out.append(errno.errorcode[e.errno])
        s.close()
print(json.dumps(out))
`;

async function wxdpDrops(): Promise<string[]> {
  const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
  for (const line of DROP_IP) fx.dp.ip(line);
  fx.dp.nft(DROPS);
  const tx = new UdpSender(fx.dp);
  const out: string[] = [];
  for (const { family, addr, far } of FAMILIES) {
    for (const dport of [5200, 5201, 5202, 5203]) {
      const s = udpSocket(fx.dp, { family, v6only: family === AF_INET6, bind: { addr, port: 6100 } });
      try {
        tx.send(s, Uint8Array.of(1), { address: far, port: dport });
        out.push('ok');
      } catch (e) {
        out.push((e as { errno?: string }).errno ?? String(e));
      }
    }
  }
  return out;
}

describe.skipIf(unready !== '')('a send the hooks drop fails (wxdp side, no root)', () => {
  it('EPERM for a drop at output or postrouting, the re-route\'s error for an unreachable mark, else sent', async () => {
    // by hand: nf_hook_slow → -EPERM; table 109's unreachable route → -EHOSTUNREACH (fib_lookup's fib_props,
    // ip6_pol_route's ip6_rt_type_to_error) from ip_route_me_harder / ip6_route_me_harder; 5203 goes out
    expect(await wxdpDrops()).toEqual(['EPERM', 'EPERM', 'EHOSTUNREACH', 'ok', 'EPERM', 'EPERM', 'EHOSTUNREACH', 'ok']);
  });
});

describe.skipIf(unready !== '' || noKernel !== '')(`a send the hooks drop fails as on Linux${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  let k: KernelRouter | undefined;
  let kern: string[] = [];
  beforeAll(() => {
    k = KernelRouter.create(LINKS, ROUTES, NEIGH, {}, 'nf51md');
    const ns = (cmd: string[], input?: string): string => {
      const r = spawnSync('ip', ['netns', 'exec', k!.router, ...cmd], { input, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${cmd.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    for (const line of DROP_IP) ns(['ip', ...line.split(' ')]);
    ns(['nft', '-f', '-'], DROPS);
    kern = JSON.parse(ns(['python3', '-c', DROP_PY])) as string[];
  }, 60_000);
  afterAll(() => k?.close());

  it('gives each send the errno Linux gives it', async () => {
    expect(await wxdpDrops()).toEqual(kern);
  });
});
