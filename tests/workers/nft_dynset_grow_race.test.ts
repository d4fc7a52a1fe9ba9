// A dynamic set's element counters under two workers while its store grows (assembly/net/nft_dynset.ts): worker 0
// looks one element up again and again (`udp sport @s`: nft_lookup_eval runs the element's counter,
// nft_set_elem_update_expr) while worker 1 adds new elements (`update @s { udp sport counter }`), so the store's table
// doubles beside the lookups (a new table rehashed aside, then published). Every packet worker 0 forwarded must be in
// the element's counter: the kernel's elements are never copied (rhashtable moves pointers), so no update can land
// in a table already copied and be lost. wxdp's lookup found the slot without the store's lock and added to its counter
// there: while worker 1 copied the table, worker 0's updates after the copy of that slot went into the table being
// left (measured with a grow held 3M loads longer before its publish: 10001 packets counted of 11001, a whole round
// lost; without it the window is the copy alone and the loss rare). The element's expressions now run under the
// lock a grow holds, in the table the store holds then.

import { afterEach, describe, expect, it } from 'vitest';
import type { Datapath } from '../../src/control/datapath.js';
import { eth, ipv4, udp4 } from '../net/support.js';
import { twoWorkerRouter } from './support.js';

const MAC = { eth0: '02:00:00:00:2f:00', eth1: '02:00:00:00:2f:01', client: '02:00:00:00:2e:01', gw: '02:00:00:00:2e:02' };
/** The last size the test doubles the table at (32768: a table of 65536 slots copied into one of 131072). */
const LAST = 32768;
const PER_QUEUE = 1000;

const open: Datapath[] = [];
afterEach(async () => {
  for (const dp of open.splice(0)) await dp.close();
});

const frame = (sport: number, dport: number, id: number) =>
  eth({ dst: MAC.eth0, src: MAC.client, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '198.51.100.7', proto: 17, id }, udp4('192.0.2.2', '198.51.100.7', sport, dport, new Uint8Array(16))));

describe('dynamic set element counters under two workers', () => {
  it('a lookup counts every packet into its element while another worker grows the store', async () => {
    const { dp, eth0, eth1 } = await twoWorkerRouter(open, MAC, { umemFrames: 16384, ringSize: 1024 });
    dp.nft(`table ip f {
	set s {
		type inet_service
		size 65535
		flags dynamic
	}

	chain forward {
		type filter hook forward priority filter; policy accept;
		udp dport 53 update @s { udp sport counter }
		udp dport 54 udp sport @s
	}
}
`);
    let sent = 0;
    const settle = () => {
      for (let quiet = 0; quiet < 2; ) {
        const before = sent;
        dp.workers!.settle(2);
        for (const q of [0, 1]) sent += eth1.readTx({ queue: q }).length;
        eth0.readTx();
        quiet = eth0.rings(0).rx.available() + eth0.rings(1).rx.available() === 0 && sent === before ? quiet + 1 : 0;
      }
    };
    const run = (q0: Uint8Array[], q1: Uint8Array[]) => {
      dp.workers!.hold();
      if (q0.length > 0) expect(eth0.injectBatch(q0, { queue: 0 })).toBe(q0.length);
      if (q1.length > 0) expect(eth0.injectBatch(q1, { queue: 1 })).toBe(q1.length);
      dp.workers!.release();
      settle();
    };
    // the element worker 0 looks up, added (and counted once) first; then worker 1 alone fills the set to just below
    // each size at which its table doubles (half full: 32, 64, … 32768 elements), and the round that adds the element
    // which doubles it runs beside worker 0's lookups (the new element half way through worker 1's burst)
    run([], [frame(7, 53, 1)]);
    let held = 1;
    let next = 1000;
    let looked = 0;
    for (let at = 32; at <= LAST; at *= 2) {
      while (held < at) {
        const n = Math.min(PER_QUEUE, at - held);
        run([], Array.from({ length: n }, (_, i) => frame(next + i, 53, i)));
        next += n;
        held += n;
      }
      const q1 = Array.from({ length: PER_QUEUE }, (_, i) => frame(i === PER_QUEUE / 2 ? next : 7, i === PER_QUEUE / 2 ? 53 : 55, i));
      next++;
      held++;
      run(Array.from({ length: PER_QUEUE }, (_, i) => frame(7, 54, i)), q1);
      looked += PER_QUEUE;
    }
    expect(sent).toBe(held + looked + (PER_QUEUE - 1) * Math.log2((LAST * 2) / 32));
    const text = dp.nft('list set ip f s');
    const m = /\b7 counter packets (\d+) bytes (\d+)/.exec(text);
    expect(m, text.slice(0, 400)).not.toBeNull();
    // each frame: 20 (IP) + 8 (UDP) + 16 bytes, skb->len at the forward hook
    expect([Number(m![1]), Number(m![2])]).toEqual([1 + looked, 44 * (1 + looked)]);
  });
});
