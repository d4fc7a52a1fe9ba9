// Named stateful objects in nft_do_chain: one state block per object, shared by every rule that names it (nft_objref),
// kept across transactions while the object lives, zeroed by a reset after it was listed (NFT_MSG_GETOBJ_RESET), and
// refused deletion while a rule references it (obj->use: EBUSY). Every expected value is derived by hand from the rules.

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
	counter c { packets 1 bytes 2 }
	quota q { 100 bytes }
	chain a {
		type filter hook forward priority filter; policy accept;
		udp dport 1 counter name "c"
		udp dport 3 quota name q accept
		udp dport 3 drop
	}
	chain b {
		type filter hook input priority filter; policy accept;
		udp dport 2 counter name c
		udp dport 4 quota name q accept
		udp dport 4 drop
	}
}
`;

describe.skipIf(!built)('named counters and quotas shared by rules', () => {
  let dp: Datapath;
  let run: ChainRunner;
  const pkt = (dport: number, len: number): Uint8Array => ipv4({ src: '192.0.2.2', dst: '203.0.113.5', proto: 17, payload: udp('192.0.2.2', '203.0.113.5', 5353, dport, new Uint8Array(len - 28)) });
  const counterText = (): string => dp.nft('list counter ip t c').split('\n')[2]!.trim();

  beforeAll(async () => {
    dp = await nftDatapath();
    dp.nft(RULES);
    run = new ChainRunner(dp);
  });

  it('counts two rules of two chains into one counter, from its declared values', () => {
    run.run('ip', 't', 'a', pkt(1, 100));
    run.run('ip', 't', 'b', pkt(2, 40), { hook: 1 });
    run.run('ip', 't', 'a', pkt(1, 60));
    expect(counterText()).toBe('packets 4 bytes 202');
  });

  it('consumes one quota from two chains: 60 + 40 pass, the next is over for either', () => {
    expect(run.run('ip', 't', 'a', pkt(3, 60)).verdict).toBe(NF_ACCEPT);
    expect(run.run('ip', 't', 'b', pkt(4, 40), { hook: 1 }).verdict).toBe(NF_ACCEPT);
    expect(run.run('ip', 't', 'a', pkt(3, 28)).verdict).toBe(NF_DROP);
    expect(run.run('ip', 't', 'b', pkt(4, 28), { hook: 1 }).verdict).toBe(NF_DROP);
  });

  it('keeps an object\'s state across a transaction that changes the rules', () => {
    dp.nft('add rule ip t a udp dport 5 counter name "c"');
    run.run('ip', 't', 'a', pkt(5, 30));
    expect(counterText()).toBe('packets 5 bytes 232');
  });

  it('lists the values a reset read, then counts from zero', () => {
    expect(dp.nft('reset counter ip t c')).toContain('packets 5 bytes 232');
    expect(counterText()).toBe('packets 0 bytes 0');
    run.run('ip', 't', 'b', pkt(2, 50), { hook: 1 });
    expect(counterText()).toBe('packets 1 bytes 50');
    // a quota's reset gives its bytes back: 100 more
    expect(dp.nft('reset quota ip t q')).toContain('100 bytes used 100 bytes');
    expect(run.run('ip', 't', 'a', pkt(3, 100)).verdict).toBe(NF_ACCEPT);
  });

  it('refuses to delete an object while a rule names it, then deletes it once none does', () => {
    expect(() => dp.nft('delete counter ip t c')).toThrow(/Device or resource busy/);
    dp.nft('flush table ip t');
    dp.nft('delete counter ip t c');
    expect(dp.nft('list counters')).toBe('table ip t {\n}\n'); // the quota is left: the table is listed, empty
    expect(() => dp.nft('add rule ip t a counter name "c"')).toThrow(/No such file or directory/);
  });
});
