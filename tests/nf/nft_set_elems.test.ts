// Named sets' element state in the data path (assembly/net/nft_eval.ts setLookup), run as netfilter runs a base
// chain: an element with a timeout matches until the stack clock reaches its expiry (nft_set_elem_expired: now at
// or past it), then is gone for lookups and listings alike; a set with `counter` counts each hit on the element that
// matched (nft_lookup_eval → nft_set_elem_update_expr), an inverted lookup's hit counts nothing (it breaks first),
// and a verdict map's element counts the same way. Every expected value is derived by hand from the rules: a
// datagram here is 20 + 8 + 12 = 40 bytes. Timeouts are whole jiffies of 4 ms (nf_msecs_to_jiffies64 at HZ 250).

import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import type { Datapath } from '../../src/index.js';
import { ipv4, udp } from '../support/frames.js';
import { ChainRunner, nftDatapath } from './nft_support.js';

const NF_DROP = 0;
const NF_ACCEPT = 1;
const built = existsSync(new URL('../../build/fastpath.wasm', import.meta.url));

const RULES = `
table ip t {
	set tmo {
		type ipv4_addr
		timeout 10s
		elements = { 192.0.2.1, 192.0.2.2 timeout 1001ms, 192.0.2.3 timeout 1h expires 2s }
	}
	set cnt {
		type ipv4_addr
		counter
		elements = { 192.0.2.10, 192.0.2.11 counter packets 5 bytes 500 }
	}
	map vm {
		type inet_service : verdict
		counter
		elements = { 53 : accept, 54 : drop }
	}
	chain in {
		type filter hook input priority filter; policy drop;
		ip saddr != @cnt udp dport 9 accept
		ip saddr @cnt accept
		ip saddr @tmo accept
		udp dport vmap @vm
	}
}
`;

const dgram = (src: string, dport = 7): Uint8Array => ipv4({ src, dst: '203.0.113.1', proto: 17, payload: udp(src, '203.0.113.1', 4000, dport, new Uint8Array(12)) });

describe.skipIf(!built)('named set elements with timeouts and counters in the data path', () => {
  let dp: Datapath;
  let run: (src: string, dport?: number) => number;
  beforeAll(async () => {
    dp = await nftDatapath(['eth0']);
    dp.nft(RULES);
    const r = new ChainRunner(dp);
    run = (src, dport) => r.run('ip', 't', 'in', dgram(src, dport), { hook: 1 }).verdict;
  });

  it('matches an element until its expiry, then neither matches nor lists it', () => {
    // 1001ms is 250 jiffies: 1000 ms; 192.0.2.3 expires after 2s whatever its timeout
    expect([run('192.0.2.1'), run('192.0.2.2'), run('192.0.2.3'), run('192.0.2.4')]).toEqual([NF_ACCEPT, NF_ACCEPT, NF_ACCEPT, NF_DROP]);
    dp.stack.advance(996);
    expect(run('192.0.2.2')).toBe(NF_ACCEPT);
    dp.stack.advance(4);
    expect([run('192.0.2.1'), run('192.0.2.2'), run('192.0.2.3')]).toEqual([NF_ACCEPT, NF_DROP, NF_ACCEPT]);
    expect(dp.nft('list set ip t tmo')).toContain('elements = { 192.0.2.1 expires 9s, 192.0.2.3 timeout 1h expires 1s }');
    dp.stack.advance(1000);
    expect(run('192.0.2.3')).toBe(NF_DROP);
    // an expired element is gone: adding it again is a new one, with the set's timeout from now
    dp.nft('add element ip t tmo { 192.0.2.2 }');
    expect(run('192.0.2.2')).toBe(NF_ACCEPT);
    expect(dp.nft('list set ip t tmo')).toContain('elements = { 192.0.2.1 expires 8s, 192.0.2.2 expires 10s }');
    // re-adding one renews its timeout (6.18: nft_add_set_elem updates it)
    dp.nft('add element ip t tmo { 192.0.2.1 timeout 1m }');
    expect(dp.nft('list set ip t tmo')).toContain('192.0.2.1 timeout 1m expires 1m');
  });

  it('counts hits on the element that matched, not on an inverted lookup, and on a verdict map\'s element', () => {
    expect([run('192.0.2.10'), run('192.0.2.10'), run('192.0.2.11')]).toEqual([NF_ACCEPT, NF_ACCEPT, NF_ACCEPT]);
    // `!= @cnt` with dport 9: 192.0.2.10 is in the set, so that rule breaks without counting; the next rule counts it
    expect(run('192.0.2.10', 9)).toBe(NF_ACCEPT);
    // not in the set: the inverted rule accepts, nothing counts
    expect(run('192.0.2.99', 9)).toBe(NF_ACCEPT);
    expect([run('192.0.2.99', 53), run('192.0.2.99', 54), run('192.0.2.99', 54)]).toEqual([NF_ACCEPT, NF_DROP, NF_DROP]);
    const set = dp.nft('list set ip t cnt');
    expect(set).toContain('elements = { 192.0.2.10 counter packets 3 bytes 120, 192.0.2.11 counter packets 6 bytes 540 }');
    expect(dp.nft('list map ip t vm')).toContain('elements = { 53 counter packets 1 bytes 40 : accept, 54 counter packets 2 bytes 80 : drop }');
    // counters outlive a change of the ruleset, as rule counters do
    dp.nft('add element ip t cnt { 192.0.2.12 }');
    expect(run('192.0.2.12')).toBe(NF_ACCEPT);
    expect(dp.nft('list set ip t cnt')).toContain('192.0.2.10 counter packets 3 bytes 120, 192.0.2.11 counter packets 6 bytes 540,\n\t\t\t     192.0.2.12 counter packets 1 bytes 40 }');
  });
});
