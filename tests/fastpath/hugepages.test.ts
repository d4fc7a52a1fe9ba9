// 2 MiB pages for the wasm memory (src/runtime/hugepages.ts, the native addon src/native/hugepages.c):
// what the kernel says of the memory's mapping in /proc/self/smaps — VmFlags `hg` (VM_HUGEPAGE, set by
// madvise(MADV_HUGEPAGE)) and AnonHugePages — is the oracle, not the addon's own answers.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { adviseHugePages, hugePageAddon, mappingPages, thpMode } from '../../src/runtime/hugepages.js';
import { EngineMemory } from '../../src/runtime/memory.js';

const addon = hugePageAddon();
const mode = thpMode();
const skip = !addon.addon ? `native addon ${addon.why}` : mode === null ? 'no transparent huge pages' : mode === 'never' ? 'THP mode never' : null;
const MiB = 1 << 20;

/** Write a byte in every 4 KiB page of `bytes` from `from`: what faults the pages in. */
function touch(mem: EngineMemory, from: number, bytes: number): void {
  const u = mem.bytes();
  for (let i = from; i < from + bytes; i += 4096) u[i] = 1;
}

/** The address range of the memory's current bytes, as the addon sees it. */
function where(mem: EngineMemory): { start: number; end: number } {
  if (!addon.addon) throw new Error('no addon');
  return addon.addon.address(new Uint8Array(mem.memory.buffer));
}

describe.skipIf(skip !== null)(`2 MiB pages for the wasm memory${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('advises the reservation up to the maximum: the memory\'s mappings carry VmFlags hg, and 8 MiB touched after a grow sit on 2 MiB pages', () => {
    const mem = new EngineMemory({ memoryLimit: 64 * MiB, hugePages: true });
    expect(mem.hugePages).toMatchObject({ advised: true, why: null, mode });
    // the advised range: from the memory's start to its limit, not past it (V8's reservation holds it all)
    expect(mem.hugePages.start).toBe(where(mem).start);
    expect(mem.hugePages.end).toBe(mem.hugePages.start + 64 * MiB);
    // the part not yet grown into carries hg as well: growth (V8's mprotect) keeps it
    expect(mappingPages(mem.hugePages.start, mem.hugePages.end).hg).toBe(true);
    const before = mem.sizeBytes;
    mem.memory.grow((12 * MiB) / 65536);
    touch(mem, before, 12 * MiB - 4096);
    const at = where(mem);
    const pages = mappingPages(at.start, at.end);
    expect(pages.hg).toBe(true);
    // 12 MiB past a 64 KiB-aligned start hold at least four whole aligned 2 MiB chunks (8 MiB)
    expect(pages.anonHugePages).toBeGreaterThanOrEqual(8 * MiB);
    expect(mem.hugePageReport()).toMatchObject({ addon: 'built', advised: true, hg: true });
  });

  it('MADV_COLLAPSE turns 8 MiB already resident on 4 KiB pages into 2 MiB pages', () => {
    const mem = new EngineMemory({ memoryLimit: 64 * MiB, hugePages: false });
    const before = mem.sizeBytes;
    mem.memory.grow((12 * MiB) / 65536);
    touch(mem, before, 12 * MiB - 4096);
    const at = where(mem);
    if (mode === 'madvise') expect(mappingPages(at.start, at.end).anonHugePages).toBe(0);
    const advice = adviseHugePages(mem.memory.buffer, mem.limitBytes, true, mode);
    expect(advice.collapseError).toBeNull();
    expect(advice.collapsed).toBeGreaterThanOrEqual(4);
    expect(mappingPages(at.start, at.end).anonHugePages).toBeGreaterThanOrEqual(8 * MiB);
  });

  it('refuses what is not a whole memory or has no finite size: EINVAL, nothing advised', () => {
    const mem = new EngineMemory({ memoryLimit: 64 * MiB, hugePages: false });
    const a = addon.addon!;
    // a view 1 byte into the memory (not page-aligned), a NaN, a negative and an infinite maximum
    expect(a.advise(new Uint8Array(mem.memory.buffer, 1), 64 * MiB).error).toBe('EINVAL');
    for (const max of [Number.NaN, -1, Number.POSITIVE_INFINITY]) expect(a.advise(new Uint8Array(mem.memory.buffer), max).error).toBe('EINVAL');
    const at = where(mem);
    expect(mappingPages(at.start, at.end).hg).toBe(false);
  });

  it('a shared memory (workers) is advised the same way', () => {
    const mem = new EngineMemory({ memoryLimit: 64 * MiB, shared: true, hugePages: true });
    expect(mem.hugePages.advised).toBe(true);
    expect(mappingPages(mem.hugePages.start, mem.hugePages.end).hg).toBe(true);
  });
});

describe('the switch and the fallback', () => {
  it('hugePages: false and WXDP_HUGEPAGES=0 leave the memory alone (no hg), and say why', async () => {
    const off = new EngineMemory({ memoryLimit: 64 * MiB, hugePages: false });
    expect(off.hugePages).toMatchObject({ advised: false, why: 'off (hugePages: false)' });
    const saved = process.env.WXDP_HUGEPAGES;
    process.env.WXDP_HUGEPAGES = '0';
    let dp: Datapath | undefined;
    try {
      dp = await Datapath.create({ memoryLimit: 64 * MiB });
      expect(dp.memory.hugePages).toMatchObject({ advised: false, why: 'off (WXDP_HUGEPAGES=0)' });
      if (addon.addon) {
        for (const m of [off, dp.memory]) {
          const at = where(m);
          expect(mappingPages(at.start, at.end).hg).toBe(false);
        }
      }
    } finally {
      if (saved === undefined) delete process.env.WXDP_HUGEPAGES;
      else process.env.WXDP_HUGEPAGES = saved;
      await dp?.close();
    }
  });

  it('a Datapath asks for them by default (and hugePages: false turns it off)', async () => {
    const saved = process.env.WXDP_HUGEPAGES;
    delete process.env.WXDP_HUGEPAGES;
    const on = await Datapath.create({ memoryLimit: 64 * MiB });
    const off = await Datapath.create({ memoryLimit: 64 * MiB, hugePages: false });
    try {
      expect(on.memory.hugePages.advised).toBe(skip === null);
      if (skip !== null) expect(on.memory.hugePages.why).toMatch(skip === 'THP mode never' ? /THP mode never/ : /./);
      expect(off.memory.hugePages.advised).toBe(false);
    } finally {
      if (saved !== undefined) process.env.WXDP_HUGEPAGES = saved;
      await on.close();
      await off.close();
    }
  });

  it('a missing or broken addon is a reason, not an error: the memory stays on 4 KiB pages', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hp47-addon-'));
    try {
      const missing = hugePageAddon([join(dir, 'none.node')]);
      expect(missing).toMatchObject({ addon: null, why: expect.stringMatching(/^not built/) });
      writeFileSync(join(dir, 'broken.node'), 'not an ELF object');
      const broken = hugePageAddon([join(dir, 'broken.node')]);
      expect(broken).toMatchObject({ addon: null, why: expect.stringMatching(/^failed to load .*broken\.node/) });
      const mem = new EngineMemory({ memoryLimit: 16 * MiB, hugePages: false });
      const advice = adviseHugePages(mem.memory.buffer, mem.limitBytes, true, 'madvise', missing);
      expect(advice).toMatchObject({ advised: false, why: expect.stringMatching(/^native addon not built/) });
      // THP never comes first: nothing to ask for
      expect(adviseHugePages(mem.memory.buffer, mem.limitBytes, true, 'never', missing).why).toBe('THP mode never: the kernel gives no 2 MiB pages');
      mem.bytes()[0x30000] = 7;
      expect(mem.bytes()[0x30000]).toBe(7);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('mappingPages adds up Rss and AnonHugePages over the mappings a range overlaps, hg only when all carry it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hp47-smaps-'));
    try {
      const f = join(dir, 'smaps');
      writeFileSync(f, [
        '7f0000000000-7f0000400000 rw-p 00000000 00:00 0 ', 'Rss:                4096 kB', 'AnonHugePages:      4096 kB', 'VmFlags: rd wr mr mw me ac sd hg',
        '7f0000400000-7f0001000000 ---p 00000000 00:00 0 ', 'Rss:                   0 kB', 'AnonHugePages:         0 kB', 'VmFlags: mr mw me sd hg',
        '7f0001000000-7f0001200000 rw-p 00000000 00:00 0 ', 'Rss:                 100 kB', 'AnonHugePages:         0 kB', 'VmFlags: rd wr mr mw me ac sd',
      ].join('\n') + '\n');
      expect(mappingPages(0x7f0000000000, 0x7f0001000000, f)).toEqual({ rss: 4096 * 1024, anonHugePages: 4096 * 1024, hg: true });
      expect(mappingPages(0x7f0000000000, 0x7f0001000001, f)).toEqual({ rss: 4196 * 1024, anonHugePages: 4096 * 1024, hg: false });
      expect(mappingPages(0x7e0000000000, 0x7e0000001000, f)).toEqual({ rss: 0, anonHugePages: 0, hg: false });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
