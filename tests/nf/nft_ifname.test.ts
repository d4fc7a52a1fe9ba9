// nft's iifname / oifname compare the device's name when the packet is evaluated (nft_meta_get_eval:
// NFT_META_IIFNAME copies in->name, NUL-padded to IFNAMSIZ, then nft_cmp / nft_lookup compare it), so a
// rule written before any device has that name matches once one has it — created or renamed — and stops
// when it is renamed away. A wildcard (`lan*`) compares the stem's bytes only (nft emits a cmp of the
// stem's length); a set of names is an interval set (`lan*` the interval of names starting with lan).
// Checked against nft's own netlink debug output for these rules (6.18):
//   iifname "et*"          → [ meta load iifname => reg 1 ] [ cmp eq reg 1 0x00007465 ]   (2 bytes)
//   iifname "nosuch"       → [ cmp eq reg 1 0x75736f6e 0x00006863 0x00000000 0x00000000 ]  (16 bytes)
//   iifname "abcdefghijklmnop" (16 bytes, or 15 and `*`) → Error: String exceeds maximum length of 16
// The renames follow Linux: a device is renamed while down (dev_change_name refuses an up one: EBUSY),
// and an IPv4 route through it is gone once it was down (fib_sync_down_dev), so the test adds it back.

import { describe, expect, it } from 'vitest';
import { NftError } from '../../src/control/nft.js';
import { Fixture, eth, ipv4, stackUnready, udp4 } from '../net/support.js';
import { H0, LINKS, M0, NEIGH, ROUTES } from './ct_support.js';

const unready = await stackUnready();

const RULES = `
table ip f {
	chain forward {
		type filter hook forward priority filter; policy accept;
		iifname "lan0" counter drop
		iifname { "dmz*", "lan9" } counter drop
		oifname "up*" counter drop
	}
}
`;

const out = (fx: Fixture, sport: number): number =>
  (fx.rx('eth0', eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '203.0.113.5', proto: 17, id: sport }, udp4('192.0.2.2', '203.0.113.5', sport, 53, new Uint8Array(8))))).get('eth1') ?? []).length;

function rename(fx: Fixture, from: string, to: string): void {
  fx.ip(`link set dev ${from} down`);
  fx.ip(`link set dev ${from} name ${to}`);
  fx.ip(`link set dev ${to} up`);
}

describe.skipIf(unready !== '')('nft iifname / oifname by name at packet time', () => {
  it('a rule naming a device that does not exist yet matches once a device is renamed to it, and stops when it is renamed away', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nft(RULES);
    expect(out(fx, 1001)).toBe(1); // arrives on eth0: no rule names it
    rename(fx, 'eth0', 'lan0');
    expect(out(fx, 1002)).toBe(0);
    expect(fx.drops()['NETFILTER_DROP']).toBe(1);
    rename(fx, 'lan0', 'dmz7'); // the set's wildcard
    expect(out(fx, 1003)).toBe(0);
    rename(fx, 'dmz7', 'lan9'); // the set's plain name
    expect(out(fx, 1004)).toBe(0);
    rename(fx, 'lan9', 'lan10'); // neither "lan0" nor "lan9" (no prefix match without `*`)
    expect(out(fx, 1005)).toBe(1);
    expect(fx.drops()['NETFILTER_DROP']).toBe(3);
    const listed = fx.dp.nft('list chain ip f forward');
    expect(listed).toMatch(/iifname "lan0" counter packets 1 bytes 36 drop/);
    expect(listed).toMatch(/iifname \{ "dmz\*", "lan9" \} counter packets 2 bytes 72 drop/);
  });

  it('oifname with a wildcard: the output device renamed into the stem is matched', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nft(RULES);
    expect(out(fx, 2001)).toBe(1);
    rename(fx, 'eth1', 'uplink');
    fx.ip('route add 203.0.113.0/24 via 198.51.100.2 dev uplink');
    fx.ip('neigh replace 198.51.100.2 lladdr 02:00:00:00:02:01 dev uplink nud permanent');
    expect(out(fx, 2002)).toBe(0);
    expect(fx.drops()['NETFILTER_DROP']).toBe(1);
    rename(fx, 'uplink', 'wan0');
    fx.ip('route add 203.0.113.0/24 via 198.51.100.2 dev wan0');
    fx.ip('neigh replace 198.51.100.2 lladdr 02:00:00:00:02:01 dev wan0 nud permanent');
    expect(out(fx, 2003)).toBe(1);
  });

  it('refuses a name of 16 bytes or more as nft does', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nft('add table ip t\nadd chain ip t c { type filter hook forward priority 0; }');
    for (const name of ['abcdefghijklmnop', 'abcdefghijklmno*', 'abcdefghijklmnopq']) {
      let err: unknown;
      try {
        fx.dp.nft(`add rule ip t c iifname "${name}" drop`);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(NftError);
      expect((err as NftError).message).toMatch(/Error: String exceeds maximum length of 16/);
    }
    fx.dp.nft('add rule ip t c iifname "abcdefghijklmno" drop');
    expect(fx.dp.nft('list chain ip t c')).toMatch(/iifname "abcdefghijklmno" drop/);
  });
});
