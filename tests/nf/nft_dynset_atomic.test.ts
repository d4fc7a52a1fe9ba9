// A refused nft command changes nothing of a dynamic set's store (review rv56): nf_tables commits a batch whole or
// not at all — Linux 6.18 measured below: `flush set` and `add element` in a batch whose rule the kernel refuses leave
// the set as it was. wxdp's store (the elements the data path added live only there) took the batch's flush and
// elements while the stores were set up, before the rest of the command could still be refused (a second set's larger
// element statements, wxdp's own refusal; the blob's compile; ENOMEM): before 12-07 such a refused command had emptied
// the first set of what the packets had added, and its element stayed in the store until the next command.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { eth, Fixture, ipv4, stackUnready, udp4 } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { H0, LINKS, M0, NEIGH, ROUTES } from './ct_support.js';

const unready = await stackUnready();
const noNft = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const RULESET = `table ip t {
	set a { type ipv4_addr; flags dynamic; }
	set b { type ipv4_addr; flags dynamic; }
	set k { type ipv4_addr; flags constant; }
	chain forward {
		type filter hook forward priority filter; policy accept;
		add @a { ip saddr }
		add @b { ip saddr }
	}
}
`;

const dgram = (host: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: `192.0.2.${host}`, dst: '203.0.113.9', proto: 17, id: 0x7800 + host }, udp4(`192.0.2.${host}`, '203.0.113.9', 4000, 4800, new Uint8Array(8))));

describe.skipIf(noNft !== '')(`a refused batch leaves a dynamic set as it was, in Linux 6.18${noNft ? ` (skipped: ${noNft})` : ''}`, () => {
  it('keeps the set\'s elements after a batch of flush, add element and a refused rule', () => {
    const ns = `rv56at${process.pid}`;
    const run = (args: string[], input?: string): ReturnType<typeof spawnSync> => spawnSync('ip', ['netns', 'exec', ns, 'nft', ...args], { input, encoding: 'utf8' });
    spawnSync('ip', ['netns', 'add', ns]);
    try {
      expect(run(['-f', '-'], RULESET).status).toBe(0);
      expect(run(['add element ip t a { 192.0.2.2 }'.split(' ')].flat()).status).toBe(0);
      // the constant set refuses the dynset (EBUSY): the whole batch is refused
      const r = run(['-f', '-'], 'flush set ip t a\nadd element ip t a { 192.0.2.9 }\nadd rule ip t forward add @k { ip saddr }\n');
      expect(r.status).not.toBe(0);
      expect(String(r.stderr)).toContain('Device or resource busy');
      const list = String(run(['list', 'set', 'ip', 't', 'a']).stdout);
      expect(list).toContain('elements = { 192.0.2.2 }');
    } finally {
      spawnSync('ip', ['netns', 'del', ns]);
    }
  });
});

describe.skipIf(unready !== '')('a refused batch leaves a dynamic set\'s store as it was, in wxdp', () => {
  it('keeps what the packets added after a batch of flush, add element and a rule wxdp refuses', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nft(RULESET);
    expect(fx.rx('eth0', dgram(2)).get('eth1')?.length).toBe(1);
    expect(fx.dp.nft('list set ip t a')).toContain('elements = { 192.0.2.2 }');
    // b's new element statements are larger than its store's slots: wxdp refuses the command (after a's changes)
    expect(() => fx.dp.nft('flush set ip t a\nadd element ip t a { 192.0.2.9 }\nadd rule ip t forward update @b { ip saddr counter }\n')).toThrow(/cannot take larger ones/);
    expect(fx.dp.nft('list set ip t a')).toContain('elements = { 192.0.2.2 }');
    // and the data path's lookup agrees (the lookup before the adds): .2 is in a, .9 is not
    fx.dp.nft('insert rule ip t forward ip saddr @a drop');
    expect(fx.rx('eth0', dgram(2)).get('eth1')?.length ?? 0).toBe(0);
    expect(fx.rx('eth0', dgram(9)).get('eth1')?.length).toBe(1);
    // a command that goes through takes the flush as before
    fx.dp.nft('flush set ip t a');
    expect(fx.dp.nft('list set ip t a')).not.toContain('elements');
  });
});
