// nf_conn's `timeout` read by a program (programs/xdp_ct_timeout.o): the kernel's meaning, u32 jiffies —
// relative while the entry is only allocated (__bpf_nf_ct_alloc_entry's `timeout * HZ`, __nf_ct_set_timeout's
// msecs_to_jiffies), absolute once inserted (nf_conntrack_hash_check_insert adds nfct_time_stamp), so that
// `ct->timeout - bpf_jiffies64()` is nf_ct_expires. bpf_jiffies64 is the stack clock in jiffies (HZ 250: a
// jiffy is 4 ms), the clock conntrack expires entries by. Every value is derived by hand from those rules.

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';

const OBJ = fileURLToPath(new URL('../../programs/xdp_ct_timeout.o', import.meta.url));
const XDP_PASS = 2;
const FIELDS = ['found', 'allocTimeout', 'setTimeout', 'insertedTimeout', 'now', 'leftInserted', 'leftFound', 'change', 'leftChanged'] as const;

async function run(dp: Datapath): Promise<Record<(typeof FIELDS)[number], number>> {
  const o = await dp.loadObject(OBJ);
  try {
    expect(o.program('xdp_ct_timeout').testRun({ data: new Uint8Array(64) }).retval).toBe(XDP_PASS);
    const bss = [...o.maps].find(([n]) => n.endsWith('.bss'))![1];
    const v = Buffer.from(bss.lookup(new Uint8Array(4))!);
    return Object.fromEntries(FIELDS.map((f, i) => [f, i >= 5 ? v.readInt32LE(i * 4) : v.readUInt32LE(i * 4)])) as Record<(typeof FIELDS)[number], number>;
  } finally {
    dp.unloadObject(o);
  }
}

describe('ct->timeout as a program reads it', () => {
  it('is relative jiffies until the insert, then absolute jiffies of the clock bpf_jiffies64 reads', async () => {
    const dp = await Datapath.create();
    try {
      dp.conntrack.enable({});
      dp.stack.advance(1002); // 250 jiffies and 2 ms: jiffies count whole 4 ms
      const r1 = await run(dp);
      expect(r1).toMatchObject({ found: 0, allocTimeout: 2500, setTimeout: 7500, now: 250, insertedTimeout: 250 + 7500, leftInserted: 7500 });
      // 4 s later: 1000 jiffies gone; bpf_ct_change_timeout(60000) counts from now
      dp.stack.advance(4000);
      const r2 = await run(dp);
      expect(r2).toMatchObject({ found: 1, leftFound: 6500, change: 0, leftChanged: 15000 });
      // conntrack -L agrees: 15000 jiffies are 60 s
      expect(dp.conntrack.list().map((e) => e.timeout)).toEqual([60]);
    } finally {
      await dp.close();
    }
  });
});
