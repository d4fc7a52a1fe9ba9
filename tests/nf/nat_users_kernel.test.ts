// NAT's steps are in a family's hooks only while it has a NAT base chain (nf_nat_register_fn /
// nf_nat_unregister_fn, nat_proto_net users), apart from conntrack's references: a connection SNATed while
// `table ip nat` was there goes out untranslated once the table is deleted, though a `ct state` rule keeps
// conntrack on and its entry (still listing the SNAT reply tuple) in use. wxdp had NAT's steps among
// conntrack's own hooks and went on translating.
//
// Recorded from Linux 6.18.44 through the router of tests/net/fixtures/router.batch; the live check repeats
// it when the machine can make namespaces.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hex, unhex } from '../support/frames.js';
import { useNamespaces } from '../support/netns.js';
import { pythonAvailability } from '../support/afpacket.js';
import { KernelRouter, WxdpRouter } from '../support/router.js';
import { masked, PORTS } from '../net/router_cases.js';
import { parseConntrackL } from './ct_support.js';
import { NF_CONFIG } from './nf_fuzz_config.js';

const FILTER = 'table inet filter {\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n\t\tct state new counter\n\t}\n}\n';
const RULES = FILTER + 'table ip nat {\n\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\t\toifname "eth1" snat to 203.0.113.45\n\t}\n}\n';
const DELETE = 'delete table ip nat';
/** UDP 198.51.100.2.40000 > 203.0.113.2.53 (IPv4 IDs 0x1001, 0x1002): before the deletion, and after it. */
const SENDS = [
  {
    frame: '020000000a00020000000b010800450000241001000040110490c6336402cb0071029c4000350010ed0b0102030405060708',
    out: '020000000b02020000000a01080045000024100100003f11f397cb00712dcb0071029c4000350010db130102030405060708',
  },
  {
    frame: '020000000a00020000000b01080045000024100200004011048fc6336402cb0071029c4000350010ed0b0102030405060708',
    out: '020000000b02020000000a01080045000024100200003f11058fc6336402cb0071029c4000350010ed0b0102030405060708',
  },
];
const LISTED = 'udp 17 src=198.51.100.2 dst=203.0.113.2 sport=40000 dport=53 [UNREPLIED] src=203.0.113.2 dst=203.0.113.45 sport=53 dport=40000 mark=0 use=1';

const eth1 = (o: Record<string, Uint8Array[]>): string[] => (o['eth1'] ?? []).map((f) => hex(masked(f)));

describe('NAT runs while the family has a NAT chain (nf_nat_register_fn)', () => {
  it('a connection SNATed before `delete table ip nat` goes out untranslated after it; its entry stays', async () => {
    const w = await WxdpRouter.create(PORTS, NF_CONFIG);
    w.dp.nft(RULES);
    expect(eth1(w.run([{ ingress: 'eth0', frames: [unhex(SENDS[0]!.frame)] }])[0]!)).toEqual([SENDS[0]!.out]);
    w.dp.nft(DELETE);
    expect(eth1(w.run([{ ingress: 'eth0', frames: [unhex(SENDS[1]!.frame)] }])[0]!)).toEqual([SENDS[1]!.out]);
    expect(parseConntrackL(w.dp.conntrack.format()).map((l) => `${l.proto} ${l.rest}`)).toEqual([LISTED]);
  });

  // dp.nat's rules of a family at a hook are such a chain, deleted with its last rule: the same rule through
  // the API, then deleted (del, flush), is `delete table ip nat` for the connection
  for (const how of ['del', 'flush'] as const) {
    it(`dp.nat: the connection goes out untranslated after its family's last rule goes (${how})`, async () => {
      const w = await WxdpRouter.create(PORTS, NF_CONFIG);
      w.dp.nft(FILTER);
      w.dp.nat.add({ hook: 'postrouting', oif: 'eth1', type: 'snat', to: '203.0.113.45' });
      expect(eth1(w.run([{ ingress: 'eth0', frames: [unhex(SENDS[0]!.frame)] }])[0]!)).toEqual([SENDS[0]!.out]);
      if (how === 'del') w.dp.nat.del(0);
      else w.dp.nat.flush();
      expect(eth1(w.run([{ ingress: 'eth0', frames: [unhex(SENDS[1]!.frame)] }])[0]!)).toEqual([SENDS[1]!.out]);
      expect(parseConntrackL(w.dp.conntrack.format()).map((l) => `${l.proto} ${l.rest}`)).toEqual([LISTED]);
    });
  }

  const nsa = useNamespaces('natu');
  const py = pythonAvailability();
  const tools = spawnSync('nft', ['--version']).status === 0 && spawnSync('conntrack', ['--version']).status === 0;
  it.skipIf(!nsa.available.ok || !py.ok || !tools)('the recorded frames and entry are what Linux does now', () => {
    const k = KernelRouter.build(nsa.set, PORTS, NF_CONFIG);
    k.router.exec(['nft', '-f', '-'], { input: RULES });
    expect(eth1(k.run([{ ingress: 'eth0', frames: [unhex(SENDS[0]!.frame)] }])[0]!)).toEqual([SENDS[0]!.out]);
    k.router.exec(['nft', '-f', '-'], { input: `${DELETE}\n` });
    expect(eth1(k.run([{ ingress: 'eth0', frames: [unhex(SENDS[1]!.frame)] }])[0]!)).toEqual([SENDS[1]!.out]);
    expect(parseConntrackL(k.router.exec(['conntrack', '-L'], {})).map((l) => `${l.proto} ${l.rest}`)).toEqual([LISTED]);
  }, 60_000);
});
