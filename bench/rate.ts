// Packet rates for the benches that drive the poll loop (bench/datapath.ts, bench/forward.ts): a leaf
// module, so the benches share it without importing each other.

/**
 * ns per packet of `round` (one burst: returns the packets it processed), the best of 5 windows of
 * `seconds / 5` each: the machine is shared, and the best window is the one least disturbed. Rounds
 * run 500 at a time between clock reads, so reading the clock costs nothing measurable.
 * `excludedNs`, when given, reads a running total of time spent inside rounds on work that is not the
 * path's (a socket reader draining queues, timed by the round itself): each window's share of it is
 * taken off that window's time.
 */
export function bestNsPerPacket(round: () => number, seconds: number, excludedNs: () => number = () => 0): number {
  let best = Infinity;
  for (let w = 0; w < 5; w++) {
    let pkts = 0;
    const t0 = process.hrtime.bigint();
    const x0 = excludedNs();
    let t = t0;
    while (Number(t - t0) < (seconds / 5) * 1e9) {
      for (let i = 0; i < 500; i++) pkts += round();
      t = process.hrtime.bigint();
    }
    best = Math.min(best, (Number(t - t0) - (excludedNs() - x0)) / pkts);
  }
  return best;
}
