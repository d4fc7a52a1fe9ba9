// `meta skuid` / `meta skgid`, protocol names and `th` ports after sctp, dccp and udplite in the nft text front end
// against nft itself (Debian's nftables 1.0.6 and the 6.18 kernel, in a namespace of the test's own): a file listed
// back by both, plain and with handles — names resolved as libc resolves them (/etc/protocols, /etc/passwd,
// /etc/group), numbers listed by a protocol's first name (`4` is `ipencap`, `0` is `ip`) and uids as numbers, the
// protocol dependency of a `th` port hidden as nft hides it — and a command sequence whose outputs and first errors
// are compared; then the rules run over packets (a uid or gid match has no socket to read here, and breaks, as
// nft_meta_get_eval does without one).

import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { ipv4 } from '../support/frames.js';
import { ChainRunner, expectSequenceAsNft, loadListedAsNft, nftAgainst, nftDatapath, nftSession } from './nft_support.js';

const FIXTURE = new URL('./fixtures/nft_meta_protos.nft', import.meta.url).pathname;
const { nsa, skip, why } = nftAgainst('ks42mt');
const built = existsSync(new URL('../../build/fastpath.wasm', import.meta.url));

const SEQUENCE = [
  'add rule inet t out meta skuid nosuchuser',
  'add rule inet t out meta skgid nosuchgroup',
  'add rule inet t out meta skuid 4294967296',
  'add rule inet t out meta skuid -1',
  'add rule inet t out meta skgid daemon',
  'add rule inet t out meta skuid < 100',
  'add rule inet t out ip protocol nosuchproto',
  'add rule inet t out ip protocol 0',
  'add rule inet t out ip protocol IPv6-ICMP',
  'add rule inet t out meta l4proto mobility-header',
  'add rule inet t out meta l4proto { OSPFIGP, 4, ipv6-frag }',
  'add set inet t u { type uid; elements = { 0, 1000-1999 } ; flags interval ; }',
  'add set inet t g { type gid; elements = { daemon } ; }',
  'add rule inet t out meta skuid @u accept',
  'add rule inet t out meta skuid @g accept',
  'list chain inet t out',
  'list sets',
];

describe.skipIf(skip)(`meta skuid/skgid, protocol names, th after sctp/dccp, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'ks42mt');

  it('lists the file as nft does, handles included', () => {
    const k = loadListedAsNft(s.ns, s.dp, FIXTURE);
    expect(k).toContain('\t\tmeta l4proto { gre, ospf, vrrp, sctp } counter packets 0 bytes 0\n');
    expect(k).toContain('\t\tip protocol ipencap counter packets 0 bytes 0\n');
    expect(k).toContain('\t\tsctp dport 80 counter packets 0 bytes 0\n\t\tdccp sport 22 counter packets 0 bytes 0\n');
    expect(k).toContain('\t\tmeta skuid 0 counter packets 0 bytes 0\n');
  });

  it('answers each command of a sequence as nft does: names, their refusals, uid and gid sets', () => {
    expectSequenceAsNft(s.ns, s.dp, SEQUENCE);
  });
});

describe.skipIf(!built)('meta skuid and protocol names in the data path', () => {
  it('breaks at a uid or gid match (no socket) and matches protocols by the numbers their names stand for', async () => {
    const dp = await nftDatapath(['eth0']);
    dp.nft(`table ip t {
	chain c {
		type filter hook forward priority filter; policy accept;
		meta skuid 0 drop
		meta skgid != 0 drop
		ip protocol gre counter drop
		meta l4proto { ospf, vrrp } drop
	}
}`);
    const r = new ChainRunner(dp);
    const pkt = (proto: number): Uint8Array => ipv4({ src: '192.0.2.1', dst: '198.51.100.1', proto, payload: new Uint8Array(8) });
    // 47 gre, 89 ospf, 112 vrrp (/etc/protocols); 4 (ipencap) matches none: the uid and gid rules break
    expect([47, 89, 112, 4].map((p) => r.run('ip', 't', 'c', pkt(p)).verdict)).toEqual([0, 0, 0, 1]);
    expect(dp.nft('list chain ip t c')).toContain('ip protocol gre counter packets 1 bytes 28 drop');
  });
});
