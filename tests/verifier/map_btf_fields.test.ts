// The verifier on a map value's bpf_timer / bpf_spin_lock where the map does not carry them, against
// Linux 6.18.44 (bpftool prog load): a per-CPU array's value with either is a map the kernel creates
// without BTF (map_check_btf: EOPNOTSUPP, libbpf retries without BTF), so the helper is refused with
// "has to have BTF in order to use …"; and a timer in an inner map's value initialised with the inner
// map another outer lookup found is refused by map_uid (each lookup's id: 1 and 2 here). Last log line
// and errno are the kernel's.

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { kernelAvailability } from '../../src/oracle/kernel.js';
import { kernelRefusal, wxdpRefusal } from '../support/refusals.js';

const obj = (name: string): string => fileURLToPath(new URL(`../../programs/${name}.o`, import.meta.url));

const REFUSALS: Array<[string, string, string]> = [
  ['xdp_timer_percpu', 'EINVAL', "map 'tpcpu' has to have BTF in order to use bpf_timer"],
  ['xdp_spinlock_percpu', 'EINVAL', "map 'lpcpu' has to have BTF in order to use bpf_spin_lock"],
  ['xdp_mim_timer_uid', 'EINVAL', "timer pointer in R1 map_uid=1 doesn't match map pointer in R2 map_uid=2"],
];

describe('timer and spin lock fields the map does not carry', () => {
  it.each(REFUSALS)('%s is refused as the kernel refuses it (%s: %s)', async (name, errno, message) => {
    expect(await wxdpRefusal(obj(name))).toEqual({ errno, message });
  });
});

const avail = kernelAvailability();
describe.skipIf(!avail.ok)(`the kernel on the same programs${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  it.each(REFUSALS)('bpftool prog load refuses %s (%s: %s)', (name, errno, message) => {
    expect(kernelRefusal(obj(name), `/sys/fs/bpf/wxdp-btf-fields-${name}-${process.pid}`)).toEqual({ errno, message });
  });
});
