// The packet generator feeding a device's RX ring directly, as a NIC receiving pktgen's traffic would:
// frames come off the fill ring, the generator writes a packet into each, and the descriptors go on the
// RX ring — no JavaScript per packet. For benchmarks and load tests (bench/datapath.ts).

import { XDP_PACKET_HEADROOM, Q_FILL, Q_RX } from './abi';
import { devQueue } from './device';
import { pg_fill_strided } from './pktgen';
import { ringFree, ringPopAddr, ringPushDesc } from './ring';

const LEN: usize = memory.data(4);

/** Receive up to `n` generated frames on queue `qi` of `dev` from generator `g`; returns how many. */
export function dev_rx_generate(dev: u32, qi: u32, g: u32, n: u32): u32 {
  const q = devQueue(dev, qi);
  const fill = load<u32>(q, Q_FILL);
  const rx = load<u32>(q, Q_RX);
  let k: u32 = 0;
  while (k < n && ringFree(rx) > 0) {
    const f = ringPopAddr(fill);
    if (f < 0) break;
    const data = <u32>f + XDP_PACKET_HEADROOM;
    pg_fill_strided(g, data, 0, <u32>LEN, 1);
    ringPushDesc(rx, <u64>data, load<u32>(LEN), 0);
    k++;
  }
  return k;
}
