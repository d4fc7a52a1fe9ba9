// license_is_gpl_compatible(): which license strings let a program call the gpl_only helpers and
// kfuncs. The answers are the kernel's: each string was the license section of an XDP program calling
// bpf_trace_printk, loaded into Linux 6.18 (refused: "cannot call GPL-restricted function from non-GPL
// compatible program"). The comparison is exact: SPDX names, case and trailing spaces do not count.
import { expect, it } from 'vitest';
import { GPL_ONLY_HELPERS, licenseIsGplCompatible } from '../../src/verifier/protos.js';

it('counts exactly the six strings the kernel counts as GPL-compatible', () => {
  const kernel: [string, boolean][] = [
    ['GPL', true], ['GPL v2', true], ['GPL and additional rights', true], ['Dual BSD/GPL', true], ['Dual MIT/GPL', true], ['Dual MPL/GPL', true],
    ['GPL-2.0', false], ['GPL-2.0-only', false], ['Dual BSD/GPL ', false], ['gpl', false], ['LGPL-2.1 OR BSD-2-Clause', false], ['BSD', false],
    ['Proprietary', false], ['', false],
  ];
  for (const [license, ok] of kernel) expect(licenseIsGplCompatible(license), JSON.stringify(license)).toBe(ok);
});

it('lists the gpl_only helpers wxdp provides as the kernel flags them', () => {
  // bpf_trace_printk, bpf_perf_event_output, bpf_fib_lookup, bpf_probe_read_kernel, bpf_check_mtu, bpf_snprintf,
  // bpf_trace_vprintk, bpf_tcp_raw_{gen,check}_syncookie_ipv{4,6}, bpf_tcp_{check,gen}_syncookie (6.18.44-fc-v1300
  // under "Proprietary": 'cannot call GPL-restricted function' at the call of #100); map, time, redirect, adjust, ringbuf, dynptr,
  // spin lock, loop, socket and string helpers are not gpl_only (each loaded under "Proprietary" past the
  // license check: programs/xdp_base_helpers.c with that license loads, xdp_snprintf.c is refused)
  expect([...GPL_ONLY_HELPERS].sort((a, b) => a - b)).toEqual([6, 25, 69, 100, 110, 113, 163, 165, 177, 204, 205, 206, 207]);
});
