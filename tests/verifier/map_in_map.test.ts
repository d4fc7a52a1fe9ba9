// The verifier's map-in-map rules (kernel/bpf/verifier.c): a lookup in an array_of_maps or
// hash_of_maps gives map_value_or_null, which after its NULL check is the inner map itself
// (mark_ptr_not_null_reg: CONST_PTR_TO_MAP with the outer map's inner_map_meta), so the program passes
// it to helpers as a map; before the check it is refused where a map is due; and a map-in-map takes
// bpf_map_lookup_elem only (check_map_func_compatibility). perf_event_array goes to the perf helpers
// only. Messages and instructions are Linux 6.18's for the same objects, loaded again in the kernel
// where it can be used.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { VerifierError } from '../../src/errors.js';
import * as oracle from '../../src/oracle/index.js';

const REFUSED: Array<{ object: string; message: string; insn: number }> = [
  { object: 'xdp_mim_update_outer.o', message: 'cannot pass map_type 12 into func bpf_map_update_elem#2', insn: 11 },
  { object: 'xdp_mim_unchecked.o', message: 'R1 type=map_value_or_null expected=map_ptr', insn: 10 },
];
const ACCEPTED = ['xdp_map_in_map.o', 'xdp_perf_dump.o'];

describe('map-in-map and perf_event_array in the verifier (programs/xdp_mim_*.c)', () => {
  it.each(ACCEPTED)('accepts %s', async (object) => {
    const dp = await Datapath.create();
    const obj = await dp.loadObject(`programs/${object}`);
    expect(obj.programs.size).toBe(1);
  });

  it.each(REFUSED.map((r) => [r.object, r] as const))('refuses %s as the kernel does', async (_o, r) => {
    const dp = await Datapath.create();
    const err = await dp.loadObject(`programs/${r.object}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerifierError);
    expect([(err as VerifierError).reason, (err as VerifierError).index]).toEqual([r.message, r.insn]);
  });

  it('logs the inner map as a map_ptr after the NULL check', async () => {
    const dp = await Datapath.create();
    const obj = await dp.loadObject('programs/xdp_map_in_map.o', { logLevel: 2 });
    const log = obj.programs.get('xdp_map_in_map')!.verifierLog ?? '';
    expect(log).toMatch(/map_value_or_null\(id=\d+,map=lru_mapping,ks=4,vs=4\)/);
    expect(log).toMatch(/map_ptr\(id=\d+,map=lru_mapping\.inner,ks=16,vs=8\)/);
  });

  const avail = oracle.kernelAvailability();
  it.skipIf(!avail.ok)(`the kernel gives the same verdicts${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
    for (const o of ACCEPTED) oracle.loadKernelObject(readFileSync(`programs/${o}`)).close();
    for (const r of REFUSED) {
      let log = 'accepted';
      try {
        oracle.loadKernelObject(readFileSync(`programs/${r.object}`)).close();
      } catch (e) {
        log = (e as oracle.KernelRejected).log;
      }
      expect(log).toContain(`${r.message}\nprocessed`);
      const lines = log.split('\n');
      const last = lines.slice(0, lines.indexOf(r.message)).reverse().find((l) => /^\d+: \(/.test(l));
      expect(Number(last?.split(':')[0])).toBe(r.insn);
    }
  });
});
