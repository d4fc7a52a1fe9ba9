// The programs/ suite through wxdp, compared with what the Linux kernel returned for the same object,
// packet and map setup (programs/expected/*.json, recorded by scripts/record-kernel.mjs with
// bpftool + BPF_PROG_TEST_RUN). Every program × packet: retval, data_out and the recorded maps.
// Each pair starts from a fresh load, as the recording did; `sequence` runs the corpus on one load.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Datapath, type BpfObject } from '../../src/control/datapath.js';
import { parseObject, type ObjectSpec } from '../../src/elf/index.js';
import type { BpfMap } from '../../src/maps/index.js';
import type { EngineName } from '../../src/runtime/types.js';
import {
  ARRAY_TYPES,
  foldPerCpu,
  loadConfigs,
  loadCorpus,
  toHex,
  type ExpectedFile,
  type MapsRecord,
  type SuiteConfig,
} from '../../scripts/program-suite.mjs';

const root = new URL('../../', import.meta.url).pathname;
const corpus = loadCorpus(root);
const configs = new Map(loadConfigs(root).map((c) => [c.name, c]));
const expectedDir = join(root, 'programs', 'expected');
const expected: ExpectedFile[] = readdirSync(expectedDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(expectedDir, f), 'utf8')));

/** Dump a map the way the recorder did: hash keys sorted, all-zero array entries left out. */
function dump(map: BpfMap, zeroOmitted: boolean): MapsRecord[string] {
  const out: MapsRecord[string] = [];
  for (const [k, v] of map.entries()) {
    const key = toHex(k);
    if (map.isPercpu) {
      const values = map.lookupPerCpu(k)!.map(toHex);
      if (zeroOmitted && values.every((x) => /^0*$/.test(x))) continue;
      out.push({ key, values });
    } else {
      const value = toHex(v);
      if (zeroOmitted && /^0*$/.test(value)) continue;
      out.push({ key, value });
    }
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

// Each object parsed once: a load takes its spec (as from bytes) and copies what it keeps, so every pair
// still gets fresh maps and programs. Parsing per load was a third of this file's time (2 × 43 × 60 loads).
const specs = new Map<string, ObjectSpec>();
const specOf = (path: string): ObjectSpec => {
  let spec = specs.get(path);
  if (!spec) specs.set(path, (spec = parseObject(new Uint8Array(readFileSync(path)), { path })));
  return spec;
};

async function loadFor(config: SuiteConfig, exp: ExpectedFile, engine: EngineName, reuse?: Datapath): Promise<{ dp: Datapath; obj: BpfObject }> {
  const dp = reuse ?? (await Datapath.create({ ncpus: exp.recordedWith.possibleCpus ?? 2, cpu: exp.recordedWith.cpu ?? 0 }));
  const obj = await dp.loadObject(specOf(config.objectPath), { path: config.objectPath, engine, ...(config.wxdpVerify ? {} : { verify: false }) });
  for (const s of config.setup) obj.map(s.map).update(s.keyBytes, s.valueBytes, { any: 0, noexist: 1, exist: 2 }[s.flag]);
  return { dp, obj };
}

function recordedMaps(obj: BpfObject, exp: ExpectedFile): MapsRecord {
  const out: MapsRecord = {};
  for (const [name, d] of Object.entries(exp.maps)) out[name] = dump(obj.map(name), d.zeroEntriesOmitted || ARRAY_TYPES.has(d.type));
  return out;
}

const ctxOf = (exp: ExpectedFile) =>
  exp.ctx ? { ingressIfindex: exp.ctx.ingressIfindex ?? 1, rxQueueIndex: exp.ctx.rxQueueIndex ?? 0 } : undefined;

describe.each(['jit', 'interp'] as const)('programs/ on wxdp (%s) vs the kernel', (engine) => {
  describe.each(expected.map((e) => [e.program, e] as const))('%s', (_name, exp) => {
    const config = configs.get(exp.config.replace(/^programs\/|\.json$/g, ''))!;
    // The interpreter cannot follow tail calls into JIT'd programs it does not have: it loads its own.
    it('matches the kernel on every corpus packet (retval, data_out, maps)', async () => {
      const byName = new Map(corpus.map((p) => [p.name, p]));
      const mismatches: string[] = [];
      // One Datapath for the packets, the object unloaded and loaded afresh for each (fresh maps, as the
      // recording's fresh load): a Datapath each (its fast path instantiated, 2 × 43 × 60 times) was
      // most of this file's time.
      let dp: Datapath | undefined;
      let prev: BpfObject | undefined;
      for (const rec of exp.packets) {
        const pkt = byName.get(rec.packet)!;
        if (prev) dp!.unloadObject(prev);
        const { obj, dp: d } = await loadFor(config, exp, engine, dp);
        dp = d;
        prev = obj;
        const ctx = ctxOf(exp);
        const r = obj.program(exp.program).testRun({ data: pkt.data, ...(ctx ? { ctx } : {}) });
        const got = { retval: r.retval, dataOut: toHex(r.data), maps: foldPerCpu(recordedMaps(obj, exp)) };
        const want = { retval: rec.retval, dataOut: rec.dataOut, maps: foldPerCpu(rec.maps) };
        if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(`${rec.packet}: ${JSON.stringify({ got, want })}`);
      }
      expect(mismatches).toEqual([]);
    });

    if (exp.sequence) it('matches the kernel on the whole corpus run in order on one load', async () => {
      const { obj } = await loadFor(config, exp, engine);
      const ctx = ctxOf(exp);
      const got = corpus.map((pkt) => {
        const r = obj.program(exp.program).testRun({ data: pkt.data, ...(ctx ? { ctx } : {}) });
        return { packet: pkt.name, retval: r.retval, dataOut: toHex(r.data) };
      });
      expect(got).toEqual(exp.sequence!.packets.map((p) => ({ packet: p.packet, retval: p.retval, dataOut: p.dataOut })));
      expect(foldPerCpu(recordedMaps(obj, exp))).toEqual(foldPerCpu(exp.sequence!.maps));
    });
  });
});
