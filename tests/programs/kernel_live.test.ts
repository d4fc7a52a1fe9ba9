// The recorded kernel results of the programs/ suite (programs/expected/<program>.json): first that
// they are complete and well-formed, for the current objects and corpus, with no kernel needed; then,
// where the kernel can be used, that a sample of program × packet pairs and every sequence run still
// give exactly the recorded results, so the recordings can be trusted as the reference.

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  corpusDigest,
  fileDigest,
  foldPerCpu,
  loadConfigs,
  loadCorpus,
  recordPacket,
  recordSequence,
  XDP_ACTIONS,
  type ExpectedFile,
  type MapsRecord,
  type SuiteOracle,
} from '../../scripts/program-suite.mjs';
import { kernelHelperGap } from '../support/kernel_helpers.js';

// The recordings were made on CPU 0 (the recorder pins itself), and a sequence run's per-CPU map
// values, and the LRU map's evictions, depend on the CPU the test runs execute on: bpftool's. So this
// file runs bpftool through `taskset -c 0` when it can, via the oracle's WXDP_BPFTOOL, set before
// the oracle is imported (it looks bpftool up once).
const bpftool = ['bpftool', '/usr/sbin/bpftool', '/usr/local/sbin/bpftool'].find((c) => spawnSync(c, ['version']).status === 0);
if (bpftool && !process.env['WXDP_BPFTOOL'] && spawnSync('taskset', ['-c', '0', 'true']).status === 0) {
  const dir = mkdtempSync(join(tmpdir(), 'wxdp-taskset-'));
  const wrapper = join(dir, 'bpftool');
  writeFileSync(wrapper, `#!/bin/sh\nexec taskset -c 0 ${bpftool} "$@"\n`);
  chmodSync(wrapper, 0o755);
  process.env['WXDP_BPFTOOL'] = wrapper;
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
}
const { kernelAvailability, loadKernelObject, xdpContext } = await import('../../src/oracle/kernel.js');

const ROOT = join(import.meta.dirname, '..', '..');
const EXPECTED = join(ROOT, 'programs', 'expected');
const corpus = loadCorpus(ROOT);
const configs = loadConfigs(ROOT);
const expected = new Map<string, ExpectedFile>(
  readdirSync(EXPECTED)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [f.slice(0, -'.json'.length), JSON.parse(readFileSync(join(EXPECTED, f), 'utf8')) as ExpectedFile]),
);
const HEX = /^([0-9a-f]{2})*$/;

/** Names of the global functions in section `xdp` of an ELF64 LE object: the object's XDP programs. */
function xdpPrograms(path: string): string[] {
  const b = readFileSync(path);
  const shoff = Number(b.readBigUInt64LE(40));
  const shnum = b.readUInt16LE(60);
  const shstrndx = b.readUInt16LE(62);
  const sh = (i: number) => {
    const o = shoff + i * 64;
    return {
      name: b.readUInt32LE(o),
      type: b.readUInt32LE(o + 4),
      offset: Number(b.readBigUInt64LE(o + 24)),
      size: Number(b.readBigUInt64LE(o + 32)),
      link: b.readUInt32LE(o + 40),
    };
  };
  const str = (section: number, off: number) => {
    const s = sh(section);
    const start = s.offset + off;
    return b.toString('latin1', start, b.indexOf(0, start));
  };
  const names = Array.from({ length: shnum }, (_, i) => str(shstrndx, sh(i).name));
  const symtab = Array.from({ length: shnum }, (_, i) => i).find((i) => sh(i).type === 2)!;
  const st = sh(symtab);
  const out: string[] = [];
  for (let o = st.offset; o < st.offset + st.size; o += 24) {
    const info = b.readUInt8(o + 4);
    const shndx = b.readUInt16LE(o + 6);
    if (info >> 4 === 1 && (info & 0xf) === 2 && names[shndx] === 'xdp') out.push(str(st.link, b.readUInt32LE(o)));
  }
  return out.sort();
}

function checkMaps(where: string, maps: MapsRecord, file: ExpectedFile, recorded: string[]): void {
  expect(Object.keys(maps).sort(), where).toEqual([...recorded].sort());
  for (const [name, entries] of Object.entries(maps)) {
    const d = file.maps[name]!;
    expect(d, `${where}: ${name} described`).toBeDefined();
    let last = '';
    for (const e of entries) {
      expect(e.key, `${where}: ${name} key`).toMatch(HEX);
      expect(e.key.length, `${where}: ${name} key size`).toBe(d.keySize * 2);
      expect(e.key > last, `${where}: ${name} keys sorted and unique`).toBe(true);
      last = e.key;
      const values = e.values ?? [e.value!];
      if (e.values) expect(e.values.length, `${where}: ${name} one value per CPU`).toBe(file.recordedWith.possibleCpus);
      for (const v of values) {
        expect(v, `${where}: ${name} value`).toMatch(HEX);
        expect(v.length, `${where}: ${name} value size`).toBe(d.valueSize * 2);
      }
      if (d.zeroEntriesOmitted) expect(values.some((v) => /[1-9a-f]/.test(v)), `${where}: ${name} zero entry kept`).toBe(true);
    }
  }
}

describe('the recorded kernel results (programs/expected)', () => {
  it('cover every program of every configured object, each recorded from the current object and corpus', () => {
    const want = configs.flatMap((c) => c.programs ?? xdpPrograms(c.objectPath)).sort();
    expect([...expected.keys()].sort()).toEqual(want);
    expect(want.length).toBeGreaterThanOrEqual(12);
    const digest = corpusDigest(corpus);
    for (const c of configs) {
      for (const p of c.programs ?? xdpPrograms(c.objectPath)) {
        const e = expected.get(p)!;
        expect(e.object, p).toBe(`programs/${c.object}`);
        expect(e.objectSha256, `${p}: recorded from this ${c.object} (re-record after a rebuild)`).toBe(fileDigest(c.objectPath));
        expect(e.corpusSha256, `${p}: recorded from this corpus (re-record after changing it)`).toBe(digest);
        expect(e.setup.map((s) => [s.map, s.key, s.value, s.flag]), p).toEqual(
          c.setup.map((s) => [s.map, Buffer.from(s.keyBytes).toString('hex'), Buffer.from(s.valueBytes).toString('hex'), s.flag]),
        );
      }
    }
  });

  it('hold one well-formed record per corpus packet, in corpus order', () => {
    for (const [name, e] of expected) {
      const config = configs.find((c) => `programs/${c.object}` === e.object)!;
      expect(e.section, name).toBe('xdp');
      expect(e.packets.map((p) => p.packet), name).toEqual(corpus.map((p) => p.name));
      e.packets.forEach((p, i) => {
        const where = `${name} × ${p.packet}`;
        expect(XDP_ACTIONS[p.retval], where).toBe(p.action);
        expect(p.dataOut, where).toMatch(HEX);
        expect(p.dataChanged, where).toBe(p.dataOut !== Buffer.from(corpus[i]!.data).toString('hex'));
        checkMaps(where, p.maps, e, config.record);
      });
      expect(e.sequence !== undefined, `${name}: sequence as configured`).toBe(config.sequence);
      if (e.sequence) {
        expect(e.sequence.packets.map((p) => p.packet), name).toEqual(corpus.map((p) => p.name));
        checkMaps(`${name} sequence`, e.sequence.maps, e, config.record);
      }
    }
  });

  it('keep the packet where the program did not change it', () => {
    // XDP_PASS programs that only read: data_out is data_in, byte for byte.
    for (const name of ['xdp_pass', 'xdp_drop', 'xdp_parse', 'xdp_proto_count', 'xdp_flow_stats', 'xdp_lpm_firewall']) {
      expect(expected.get(name)!.packets.filter((p) => p.dataChanged).map((p) => p.packet), name).toEqual([]);
    }
  });
});

const avail = kernelAvailability();
if (!avail.ok) it.skip(`programs/expected live check skipped: kernel oracle unavailable: ${avail.reason}`, () => {});

const oracle: SuiteOracle = { loadKernelObject, xdpContext } as unknown as SuiteOracle;

/**
 * A few packets per program: the first with an unusual verdict, the first the program rewrote, and
 * one that moves with the program's position, so that the sample spreads over the corpus.
 */
function sample(e: ExpectedFile, k: number): string[] {
  const counts = new Map<string, number>();
  for (const p of e.packets) counts.set(p.action, (counts.get(p.action) ?? 0) + 1);
  const common = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
  const picks = new Set<string>();
  const rare = e.packets.find((p) => p.action !== common);
  if (rare) picks.add(rare.packet);
  const changed = e.packets.find((p) => p.dataChanged);
  if (changed) picks.add(changed.packet);
  picks.add(e.packets[(k * 7 + 3) % e.packets.length]!.packet);
  return [...picks];
}

// A program calling a helper this kernel refuses (tests/support/kernel_helpers.ts) is skipped by name.
const gaps = new Map<string, string | null>();
const gapOf = (e: ExpectedFile): string | null => {
  if (!avail.ok) return null;
  if (!gaps.has(e.object)) gaps.set(e.object, kernelHelperGap(join(ROOT, e.object)));
  return gaps.get(e.object)!;
};
for (const e of expected.values()) {
  const gap = gapOf(e);
  if (gap !== null) it.skip(`${e.program}: live re-run skipped: ${gap}`, () => {});
}

describe.skipIf(!avail.ok)('the recorded kernel results, re-run live', () => {
  const live = [...expected.values()].filter((e) => gapOf(e) === null);
  const pairs = live.flatMap((e, k) => sample(e, k).map((packet) => ({ e, packet })));

  it.each(pairs.map(({ e, packet }) => [`${e.program} × ${packet}`, e, packet] as const))('%s matches its recording', (_, e, packet) => {
    const config = configs.find((c) => `programs/${c.object}` === e.object)!;
    const want = e.packets.find((p) => p.packet === packet)!;
    const got = recordPacket(oracle, config, e.program, corpus.find((p) => p.name === packet)!);
    expect({ ...got, maps: foldPerCpu(got.maps) }).toEqual({ ...want, maps: foldPerCpu(want.maps) });
  });

  const sequences = live.filter((e) => e.sequence);
  it.each(sequences.map((e) => [e.program, e] as const))('%s: the whole corpus in sequence on one load matches its recording', (_, e) => {
    const config = configs.find((c) => `programs/${c.object}` === e.object)!;
    const got = recordSequence(oracle, config, e.program, corpus);
    expect(got.packets).toEqual(e.sequence!.packets);
    expect(foldPerCpu(got.maps)).toEqual(foldPerCpu(e.sequence!.maps));
  });
});
