// What netdev and arp chains refuse (issue 15), with nft 1.0.6's words or Linux 6.18's and their places, compared
// with nft itself in a namespace: conntrack expressions (the kernel: EPROTO at the expression), NAT (nft: only
// IPv4/IPv6, at the keyword), reject in the arp family (nft) and in a netdev egress chain (the kernel, when it
// validates the rule: EOPNOTSUPP at the whole rule), fwd in the arp family (nft). Each file is refused whole, the
// ruleset left as it was; on a command line the same words with nft's caret.

import { describe, it } from 'vitest';
import { expectSequenceAsNft, expectTextRefusedAsNft, nftAgainst, nftSession } from './nft_support.js';

const { nsa, skip, why } = nftAgainst('nf47rf');

const netdev = (hook: string, rule: string): string => `table netdev t {\n\tchain c {\n\t\ttype filter hook ${hook} device "eth0" priority filter; policy accept;\n\t\tcounter\n\t\t${rule}\n\t}\n}\n`;
const arp = (rule: string): string => `table arp t {\n\tchain c {\n\t\ttype filter hook input priority filter; policy accept;\n\t\t${rule}\n\t}\n}\n`;

describe.skipIf(skip)(`netdev and arp chains refuse as nft 1.0.6 and Linux 6.18 do${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'nf47rf');

  const refusals: Array<[string, string]> = [
    ['ct mark in a netdev chain', netdev('ingress', 'ct mark 1 accept')],
    ['ct mark set in a netdev chain', netdev('ingress', 'ct mark set 1')],
    ['ct direction in a netdev egress chain', netdev('egress', 'udp dport 1 ct direction original drop')],
    ['masquerade in a netdev chain', netdev('ingress', 'masquerade')],
    ['snat in a netdev chain', netdev('ingress', 'snat to 192.0.2.1')],
    ['dnat in a netdev chain', netdev('ingress', 'udp dport 53 dnat to 192.0.2.1:5353')],
    ['redirect in a netdev chain', netdev('ingress', 'redirect to :8080')],
    ['masquerade in an arp chain', arp('masquerade')],
    ['reject in an arp chain', arp('reject')],
    ['reject with tcp reset in an arp chain', arp('arp operation request reject with tcp reset')],
    ['reject in a netdev egress chain', netdev('egress', 'reject')],
    ['reject with icmpx in a netdev egress chain', netdev('egress', 'udp dport 1 counter reject with icmpx port-unreachable')],
    ['fwd in an arp chain', arp('fwd to "eth0"')],
  ];
  it.each(refusals)('refuses %s with its words and place, applying nothing', (label, text) => expectTextRefusedAsNft(s, text, label));

  it('refuses them on a command line with nft\'s caret', () => {
    expectSequenceAsNft(s.ns, s.dp, [
      'add table netdev x',
      'add chain netdev x i { type filter hook ingress device eth0 priority 0; }',
      'add chain netdev x e { type filter hook egress device eth0 priority 0; }',
      'add rule netdev x i ct state established accept',
      'add rule netdev x i masquerade',
      'add rule netdev x i ip saddr 192.0.2.1 snat to 192.0.2.2',
      'add rule netdev x e reject',
      'add table arp y',
      'add chain arp y c { type filter hook input priority 0; }',
      'add rule arp y c reject',
      'add rule arp y c redirect',
      'list ruleset',
      'flush ruleset',
    ]);
  });
});
