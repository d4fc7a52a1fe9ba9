// The LPM trie under workers (kernel/bpf/lpm_trie.c: lookups under RCU, updates under trie->lock, an
// updated entry a new node, unlinked nodes freed after a grace period). Both workers look up while the
// control plane replaces, deletes and re-adds prefixes: every lookup finds a whole value of a prefix that
// contains the address (never a torn value, never another prefix's node reused under it); and both
// workers' programs insert and delete prefixes at once while the control plane does: the trie ends as
// the sequential model says.

import { afterEach, describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import type { Device } from '../../src/control/device.js';
import { createMap, MapType } from '../../src/maps/index.js';

const NO_PREALLOC = 1;
const open: Datapath[] = [];
afterEach(async () => {
  for (const dp of open.splice(0)) await dp.close();
});

/** Ethernet + IPv4 to 10.0.<x>.1 (UDP), 64 bytes; `tag` in the source address's last byte. */
function to(x: number, tag = 0): Uint8Array {
  const f = new Uint8Array(64);
  f.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00]);
  f.set([0x45, 0, 0, 50, 0, 0, 0x40, 0, 64, 17, 0, 0, 192, 0, 2, tag & 0xff, 10, 0, x, 1], 14);
  return f;
}
const key = (plen: number, a: number, b: number, c: number, d = 0) => Uint8Array.from([plen, 0, 0, 0, a, b, c, d]);
/** A value both of whose halves say prefix `x` (0xff: the /16), generation `gen`. */
function value(x: number, gen: number): Uint8Array {
  const v = new Uint8Array(16);
  const d = new DataView(v.buffer);
  for (const o of [0, 8]) d.setBigUint64(o, BigInt(x) | (BigInt(gen) << 8n), true);
  return v;
}

async function rig() {
  const dp = await Datapath.create({ workers: 2, umemFrames: 8192 });
  open.push(dp);
  const eth0 = dp.addDevice({ name: 'eth0', queues: 2, ringSize: 1024, rss: false });
  const trie = createMap(dp.fastPath, { name: 'routes', type: MapType.LPM_TRIE, keySize: 8, valueSize: 16, maxEntries: 80, flags: NO_PREALLOC });
  return { dp, eth0, trie };
}

/**
 * Round after round: `frames` queued on both queues while the workers are held, then released at once,
 * and `meanwhile` run by the control plane again and again until both workers have taken every frame.
 */
function run(dp: Datapath, eth0: Device, rounds: number, frames: (round: number, q: number) => Uint8Array[], meanwhile: (round: number, pass: number) => void): number {
  let sent = 0;
  for (let r = 0; r < rounds; r++) {
    dp.workers!.hold();
    for (const q of [0, 1]) {
      const fs = frames(r, q);
      expect(eth0.injectBatch(fs, { queue: q })).toBe(fs.length);
      sent += fs.length;
    }
    dp.workers!.release();
    let pass = 0;
    do meanwhile(r, pass++);
    while (eth0.rings(0).rx.available() + eth0.rings(1).rx.available() > 0);
    dp.workers!.settle(2);
  }
  return sent;
}

describe('the LPM trie under two workers', () => {
  it('lookups while the control plane replaces, deletes and re-adds prefixes: every value whole and of a prefix containing the address', async () => {
    const { dp, eth0, trie } = await rig();
    trie.update(key(16, 10, 0, 0), value(0xff, 0));
    for (let x = 0; x < 64; x++) trie.update(key(24, 10, 0, x), value(x, 0));
    // look up 10.0.<x>.1/32: XDP_DROP when the value's halves agree and its prefix holds the address (the
    // /24 of x, or the /16), XDP_ABORTED otherwise (a miss is impossible: the /16 stays). The program
    // holds the value a while between reading its two halves, as a program working on it would: an
    // update in place, or the node reused for another prefix meanwhile, shows.
    const src = [
      'r6 = *(u32 *)(r1 + 0)',
      'r3 = *(u32 *)(r6 + 30)',
      'r4 = 32',
      '*(u32 *)(r10 - 8) = r4',
      '*(u32 *)(r10 - 4) = r3',
      `r1 = ${trie.address} ll`,
      'r2 = r10',
      'r2 += -8',
      'call 1',
      'if r0 == 0 goto bad',
      'r1 = *(u64 *)(r0 + 0)',
      'r3 = 1000',
      'spin:',
      'r3 -= 1',
      'if r3 != 0 goto spin',
      'r2 = *(u64 *)(r0 + 8)',
      'if r1 != r2 goto bad',
      'r1 &= 0xff',
      'if r1 == 0xff goto good',
      'r2 = *(u8 *)(r6 + 32)',
      'if r1 != r2 goto bad',
      'good:',
      'r0 = 1',
      'exit',
      'bad:',
      'r0 = 0',
      'exit',
    ].join('\n');
    eth0.attachXdp(await dp.loadInsns(assemble(src), { verify: false, checked: false }));
    let gen = 0;
    const sent = run(
      dp,
      eth0,
      20,
      (r, q) => Array.from({ length: 1000 }, (_, i) => to((i * 7 + r + q * 13) & 63, i)),
      (_, pass) => {
        // each pass: every /24 replaced (a new node each time), a quarter deleted and added again
        gen++;
        for (let x = 0; x < 64; x++) trie.update(key(24, 10, 0, x), value(x, gen));
        for (let x = pass & 3; x < 64; x += 4) trie.delete(key(24, 10, 0, x));
        for (let x = pass & 3; x < 64; x += 4) trie.update(key(24, 10, 0, x), value(x, gen));
      },
    );
    const st = eth0.stats();
    expect(st.verdicts).toMatchObject({ XDP_DROP: sent, XDP_ABORTED: 0 });
    expect(sent).toBe(20 * 2 * 1000);
    // the trie as the last round left it
    const keys = [...trie.keys()].map((k) => `${k[4]}.${k[5]}.${k[6]}.${k[7]}/${k[0]}`);
    expect(keys.length).toBe(65);
    expect(new DataView(trie.lookup(key(32, 10, 0, 5, 1))!.buffer).getBigUint64(0, true)).toBe(5n | (BigInt(gen) << 8n));
  });

  it("both workers' programs insert and delete prefixes while the control plane does: the entries are the model's", async () => {
    const { dp, eth0, trie } = await rig();
    // frame from 192.0.2.<tag> to 10.0.<x>.1: tag even inserts 10.0.<x>.0/24 (value x), odd deletes it; XDP_DROP
    const src = [
      'r6 = *(u32 *)(r1 + 0)',
      'r3 = *(u32 *)(r6 + 30)',
      'r3 &= 0xffffff',
      'r4 = 24',
      '*(u32 *)(r10 - 8) = r4',
      '*(u32 *)(r10 - 4) = r3',
      'r5 = *(u8 *)(r6 + 32)',
      '*(u64 *)(r10 - 24) = r5',
      '*(u64 *)(r10 - 16) = r5',
      `r1 = ${trie.address} ll`,
      'r2 = r10',
      'r2 += -8',
      'r7 = *(u8 *)(r6 + 29)',
      'r7 &= 1',
      'if r7 != 0 goto del',
      'r3 = r10',
      'r3 += -24',
      'r4 = 0',
      'call 2',
      'goto out',
      'del:',
      'call 3',
      'out:',
      'r0 = 1',
      'exit',
    ].join('\n');
    eth0.attachXdp(await dp.loadInsns(assemble(src), { verify: false, checked: false }));
    // both workers work on x in 0..31 at once, the control plane on 32..47; in a pass every x is inserted,
    // then the odd ones deleted: whatever the interleaving, the last change of an odd x is a delete, so
    // at the end the even x remain, and only they
    const mine = (q: number) => (q < 2 ? Array.from({ length: 32 }, (_, i) => i) : Array.from({ length: 16 }, (_, i) => 32 + i));
    const pass = (q: number) => [...mine(q).map((x) => to(x, 0)), ...mine(q).filter((x) => x & 1).map((x) => to(x, 1))];
    const sent = run(
      dp,
      eth0,
      20,
      (_, q) => Array.from({ length: 20 }, () => pass(q)).flat(),
      (r) => {
        for (const x of mine(2)) trie.update(key(24, 10, 0, x), value(x, r));
        for (const x of mine(2).filter((x) => x & 1)) trie.delete(key(24, 10, 0, x));
      },
    );
    expect(eth0.stats().verdicts.XDP_DROP).toBe(sent);
    const keys = [...trie.keys()].map((k) => k[6]!).sort((a, b) => a - b);
    expect(keys).toEqual(Array.from({ length: 48 }, (_, x) => x).filter((x) => (x & 1) === 0));
    for (const x of keys) expect(new DataView(trie.lookup(key(32, 10, 0, x, 1))!.buffer).getUint8(0)).toBe(x);
  });

  it('replacements while no worker passes a quiescent point: the pool grows as the kernel allocates, then reuses what the grace period freed', async () => {
    const dp = await Datapath.create({ workers: 2, umemFrames: 1024 });
    open.push(dp);
    // 8 entries: 2 × 8 - 1 nodes for the trie and 16 + 1 spare; every replacement retires a node
    const trie = createMap(dp.fastPath, { name: 'small', type: MapType.LPM_TRIE, keySize: 8, valueSize: 16, maxEntries: 8, flags: NO_PREALLOC });
    const k = key(24, 198, 51, 100);
    dp.workers!.hold(); // held workers read nothing but pass no quiescent point: no grace period ends
    // the kernel's trie_update_elem allocates a node per replacement and frees the old one after the
    // grace period: none of these fails although none of the retired nodes can be reused yet
    for (let gen = 0; gen < 100; gen++) trie.update(k, value(1, gen));
    dp.workers!.release();
    expect(new DataView(trie.lookup(key(32, 198, 51, 100, 7))!.buffer).getBigUint64(0, true)).toBe(1n | (99n << 8n));
    // running workers pass quiescent points: thousands more replace and delete without running out
    for (let gen = 100; gen < 5000; gen++) {
      trie.update(k, value(1, gen));
      if (gen % 7 === 0) trie.delete(k);
    }
    expect([...trie.keys()].length).toBe(1);
    expect(new DataView(trie.lookup(key(32, 198, 51, 100, 7))!.buffer).getBigUint64(0, true)).toBe(1n | (4999n << 8n));
  });
});

