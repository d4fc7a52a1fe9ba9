// skb->mark of a datagram held for its neighbour, against the kernel. A datagram sent while its next hop
// resolves waits in the entry's arp_queue (__neigh_event_send) as the skb the output path made: when the
// entry turns valid (neigh_update → neigh_update_process_arp_queue) it goes out through n->output to
// __dev_queue_xmit, whose netdev egress chains (nf_hook_egress) see the mark it had — the socket's SO_MARK
// (ip_append_data's sockc.mark / ip6_append_data's), or a `meta mark set` at output. The solicitation the
// entry sends is a new skb: mark 0. IPv4 and IPv6, with the netdev chains alone and with an inet output
// chain that marks; the neighbours resolved by `ip neigh replace` on both sides, nft's counters compared.

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture, stackUnready, type LinkCfg } from '../net/support.js';
import { KernelRouter, kernelUnavailable } from '../net/kernel.js';
import { udpSocket } from '../net/udp_send_support.js';
import { UdpSender } from '../../src/control/udp_send.js';
import { AF_INET6 } from '../../src/runtime/net_abi.js';
import { LINKS, NEIGH } from './ct_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const LINKS46: LinkCfg[] = LINKS.map((l) => ({ ...l, v6: [l.name === 'eth0' ? '2001:db8:1::1/64' : '2001:db8:2::1/64'] }));

// 7601 (IPv4) and 7602 (IPv6) from sockets with SO_MARK 9; 7603 / 7604 marked 5 at output (the inet table's)
const NETDEV = `table netdev n {
	chain e1_out {
		type filter hook egress device "eth1" priority filter; policy accept;
		meta mark 0x00000009 udp dport { 7601, 7602 } counter packets 0 bytes 0
		meta mark 0x00000005 udp dport { 7603, 7604 } counter packets 0 bytes 0
		meta mark 0x00000000 udp dport { 7601-7604 } counter packets 0 bytes 0
		meta mark 0x00000000 ether type arp counter packets 0 bytes 0
		meta mark 0x00000000 icmpv6 type nd-neighbor-solicit counter packets 0 bytes 0
	}
}
`;
const INET = `table inet t {
	chain out {
		type filter hook output priority filter; policy accept;
		udp dport { 7603, 7604 } meta mark set 0x00000005 counter packets 0 bytes 0
	}
}
`;

const PY = String.raw`
import json, socket, subprocess, time
SO_MARK = 36
s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s4.bind(('198.51.100.1', 6001)); s4.setsockopt(socket.SOL_SOCKET, SO_MARK, 9)
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s6.bind(('2001:db8:2::1', 6002)); s6.setsockopt(socket.SOL_SOCKET, SO_MARK, 9)
s4.sendto(b'\x01' * 40, ('198.51.100.7', 7601))
s6.sendto(b'\x02' * 40, ('2001:db8:2::7', 7602))
s4.sendto(b'\x03' * 40, ('198.51.100.7', 7603))
s6.sendto(b'\x04' * 40, ('2001:db8:2::7', 7604))
for a in ('198.51.100.7', '2001:db8:2::7'):
    subprocess.run(['ip', 'neigh', 'replace', a, 'lladdr', '02:00:00:00:00:77', 'dev', 'eth1', 'nud', 'reachable'], check=True)
time.sleep(0.05)
print(subprocess.run(['nft', 'list', 'ruleset'], capture_output=True, text=True).stdout)
`;

async function wxdpSide(ruleset: string): Promise<string> {
  const fx = await Fixture.create(LINKS46, [], NEIGH);
  fx.dp.ip('link set lo up');
  fx.dp.nft(ruleset);
  const tx = new UdpSender(fx.dp);
  const s4 = udpSocket(fx.dp, { bind: { addr: '198.51.100.1', port: 6001 }, mark: 9 });
  const s6 = udpSocket(fx.dp, { family: AF_INET6, bind: { addr: '2001:db8:2::1', port: 6002 }, mark: 9 });
  tx.send(s4, new Uint8Array(40).fill(1), { address: '198.51.100.7', port: 7601 });
  tx.send(s6, new Uint8Array(40).fill(2), { address: '2001:db8:2::7', port: 7602 });
  tx.send(s4, new Uint8Array(40).fill(3), { address: '198.51.100.7', port: 7603 });
  tx.send(s6, new Uint8Array(40).fill(4), { address: '2001:db8:2::7', port: 7604 });
  for (const a of ['198.51.100.7', '2001:db8:2::7']) fx.dp.ip(`neigh replace ${a} lladdr 02:00:00:00:00:77 dev eth1 nud reachable`);
  return fx.dp.nft('list ruleset');
}

for (const [name, ruleset] of [['the netdev chains alone', NETDEV], ['an output chain that marks', INET + NETDEV]] as const) {
  describe.skipIf(unready !== '' || noKernel !== '')(`a held datagram's mark at egress, ${name}, as on Linux${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
    let k: KernelRouter | undefined;
    let kern = '';
    beforeAll(() => {
      k = KernelRouter.create(LINKS46, [], NEIGH, {}, 'hm54');
      const ns = (cmd: string[], input?: string): string => {
        const r = spawnSync('ip', ['netns', 'exec', k!.router, ...cmd], { input, encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`${cmd.join(' ')}: ${r.stderr}`);
        return r.stdout;
      };
      ns(['ip', 'link', 'set', 'lo', 'up']);
      ns(['nft', '-f', '-'], ruleset);
      kern = ns(['python3', '-c', PY]).replace(/\n$/, '');
    }, 60_000);
    afterAll(() => k?.close());

    it('counts as Linux does', async () => {
      const rules = await wxdpSide(ruleset);
      expect(rules).toBe(kern);
      // by hand: the SO_MARK 9 datagrams leave eth1 marked once their neighbour resolves
      expect(rules).toContain('meta mark 0x00000009 udp dport { 7601, 7602 } counter packets 2 bytes 184\n');
    });
  });
}
