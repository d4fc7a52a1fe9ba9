// A dynamic set's table that grows (assembly/net/nft_dynset.ts grow) copies its elements into the new table — and with
// them each limit's token bucket, whose first word is a spin lock (nft_stateful.ts nftLimit). A worker that is inside
// nftLimit on an element of the old table while another worker's insert grows it holds that lock word: copied as it
// is, the new table's bucket stays held forever by a thread that releases the old table's copy, and every later packet
// of that element on any other worker spins (review rv57). Hand-derived: nobody holds a bucket of a table no reader
// has reached yet, so every lock word in the new table is free.

import { describe, expect, it } from 'vitest';
import { ipv4, stackUnready, udp4 } from '../net/support.js';
import { ChainRunner, nftDatapath } from './nft_support.js';

const unready = await stackUnready();

const RULESET = `table ip t {
	set s { type ipv4_addr; size 1000; flags dynamic; }
	chain c {
		type filter hook forward priority filter; policy accept;
		add @s { ip saddr limit rate 100/second }
	}
}
`;

const pkt = (host: number): Uint8Array => {
  const src = `198.51.100.${host}`;
  return ipv4({ src, dst: '203.0.113.9', proto: 17, id: 0x100 + host }, udp4(src, '203.0.113.9', 4000, 4800, new Uint8Array(8)));
};

describe.skipIf(unready !== '')('a dynamic set that grows while a limit bucket is held', () => {
  it('leaves every bucket lock of the new table free (the holder releases the old table\'s)', async () => {
    const dp = await nftDatapath();
    dp.nft(RULESET);
    const run = new ChainRunner(dp);
    // 32 elements: the 64-slot table is half full; the 33rd grows it
    for (let h = 1; h <= 32; h++) run.run('ip', 't', 'c', pkt(h));
    const st = (dp.nftables as unknown as { state: { tables: { sets: { name: string; live?: number }[] }[] } }).state.tables[0]!.sets.find((s) => s.name === 's')!.live!;
    const v = (): DataView => dp.memory.view();
    const table = (): { tb: number; slots: number; sb: number } => {
      const tb = v().getUint32(st + 48, true);
      return { tb, slots: v().getUint32(tb, true), sb: v().getUint32(st + 16, true) };
    };
    // slot: +24 the key (8 bytes), +32 the limit block (EXPR_LIMIT 17), its bucket's lock word at +32 of the block
    const slotOf = (host: number): number => {
      const { tb, slots, sb } = table();
      for (let i = 0; i < slots; i++) {
        const slot = tb + 64 + i * sb;
        if (v().getUint32(slot, true) === 1 && v().getUint32(slot + 24, false) === ((198 << 24) | (51 << 16) | (100 << 8) | host) >>> 0) return slot;
      }
      return 0;
    };
    const before = table();
    expect(before.slots).toBe(64);
    const held = slotOf(7);
    expect(held).not.toBe(0);
    expect(v().getUint32(held + 32, true) & 0xff).toBe(17);
    // worker 3 (lock id 5) inside nftLimit on 198.51.100.7's bucket
    v().setUint32(held + 64, 0x105, true);
    run.run('ip', 't', 'c', pkt(33));
    expect(table().slots).toBe(128);
    const moved = slotOf(7);
    expect(moved).not.toBe(0);
    expect(moved).not.toBe(held);
    expect(v().getUint32(moved + 64, true)).toBe(0);
    // the holder leaves the old table's bucket; the element still passes on this thread
    v().setUint32(held + 64, 0, true);
    expect(run.run('ip', 't', 'c', pkt(7)).verdict).toBe(1);
  });
});
