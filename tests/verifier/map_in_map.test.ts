// The verifier's map-in-map rules (kernel/bpf/verifier.c): a lookup in an array_of_maps or
// hash_of_maps gives the inner map or NULL. 6.18.44-fc-v1252 types it so at the call: map_ptr_or_null
// whose map is the outer map's inner_map_meta (the log prints no name, only the inner ks/vs: R0=
// map_ptr_or_null(id=1,ks=4,vs=8)), map_ptr after the NULL check; earlier builds said map_value_or_null
// (the outer map's) until the check, as upstream's mark_ptr_not_null_reg does. So the program passes
// it to helpers as a map; before the check it is refused where a map is due; and a map-in-map takes
// bpf_map_lookup_elem only (check_map_func_compatibility). perf_event_array goes to the perf helpers
// only. Messages and instructions are 6.18.44-fc-v1252's for the same objects, loaded again in the
// kernel where it can be used.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { VerifierError } from '../../src/errors.js';
import * as oracle from '../../src/oracle/index.js';

const REFUSED: Array<{ object: string; message: string; insn: number }> = [
  { object: 'xdp_mim_update_outer.o', message: 'cannot pass map_type 12 into func bpf_map_update_elem#2', insn: 11 },
  { object: 'xdp_mim_unchecked.o', message: 'R1 type=map_ptr_or_null expected=map_ptr', insn: 10 },
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

  it('logs the inner map as map_ptr_or_null after the lookup and map_ptr after the NULL check, unnamed', async () => {
    const dp = await Datapath.create();
    const obj = await dp.loadObject('programs/xdp_map_in_map.o', { logLevel: 2 });
    const log = obj.programs.get('xdp_map_in_map')!.verifierLog ?? '';
    // the kernel's log of the same object: lru_mapping (ARRAY_OF_MAPS, ks=4,vs=4) holds LRU_HASHes of
    // ks=16,vs=8; backends_by_proto (HASH_OF_MAPS, ks=4,vs=4) ARRAYs of ks=4,vs=16
    //   59: (85) call bpf_map_lookup_elem#1   ; R0=map_ptr_or_null(id=5,ks=16,vs=8)
    //   40: (85) call bpf_map_lookup_elem#1   ; R0=map_ptr_or_null(id=2,ks=4,vs=16)
    //   41: (15) if r0 == 0x0 goto pc+53      ; R0=map_ptr(ks=4,vs=16)
    expect(log).toMatch(/R0=map_ptr_or_null\(id=\d+,ks=16,vs=8\)/);
    expect(log).toMatch(/R0=map_ptr_or_null\(id=\d+,ks=4,vs=16\)/);
    expect(log).toMatch(/^41: R0=map_ptr\(ks=4,vs=16\) /m);
    // mark_ptr_or_null_reg drops the id once the NULL check is done (no value here holds a bpf_spin_lock):
    // no map_ptr or map_value is printed with one after its check
    expect(log).not.toMatch(/map_ptr\(id=/);
    expect(log).not.toMatch(/map_value\(id=/);
    expect(log).not.toMatch(/map_value_or_null\([^)]*map=(lru_mapping|backends_by_proto),/);
    expect(log).not.toMatch(/\.inner/);
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
