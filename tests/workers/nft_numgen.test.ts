// nft_numgen's `inc` counter under two workers: one counter per rule expression, moved by compare-and-swap as the
// kernel's atomic_cmpxchg loop moves its atomic_t for every CPU. Both workers forward frames at once through a
// forward chain that sets each packet's mark from `numgen inc mod 2` and drops mark 1: exactly every second
// packet is dropped whatever the interleaving (a lost or doubled update would shift the count).

import { afterEach, describe, expect, it } from 'vitest';
import type { Datapath } from '../../src/control/datapath.js';
import { eth, ipv4, udp4 } from '../net/support.js';
import { twoWorkerRouter } from './support.js';

const MAC = { eth0: '02:00:00:00:1f:00', eth1: '02:00:00:00:1f:01', client: '02:00:00:00:1e:01', gw: '02:00:00:00:1e:02' };
const ROUNDS = 10;
const PER_QUEUE = 400;

const open: Datapath[] = [];
afterEach(async () => {
  for (const dp of open.splice(0)) await dp.close();
});

const frame = (id: number) =>
  eth({ dst: MAC.eth0, src: MAC.client, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '198.51.100.7', proto: 17, id }, udp4('192.0.2.2', '198.51.100.7', 40000 + (id & 0xff), 53, new Uint8Array(16))));

describe('numgen inc under two workers', () => {
  it('drops exactly every second packet of those both workers forward at once (one shared counter)', async () => {
    const { dp, eth0, eth1 } = await twoWorkerRouter(open, MAC, { umemFrames: 16384, ringSize: 1024 });
    dp.nft(`table ip f {
	chain forward {
		type filter hook forward priority filter; policy accept;
		meta mark set numgen inc mod 2
		meta mark 0x00000001 drop
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
    for (let round = 0; round < ROUNDS; round++) {
      dp.workers!.hold();
      for (const q of [0, 1]) expect(eth0.injectBatch(Array.from({ length: PER_QUEUE }, (_, i) => frame(round * 1000 + q * 500 + i)), { queue: q })).toBe(PER_QUEUE);
      dp.workers!.release();
      settle();
    }
    expect(sent).toBe(ROUNDS * PER_QUEUE);
  });
});
