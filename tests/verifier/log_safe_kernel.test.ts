// The verifier log names each pruned path as the kernel's do_check does: a path just popped from the
// branch stack and pruned at its first instruction is "from X to Y: safe" (do_print_state), any other
// prune "Y: safe". Compared line for line with the kernel's own log (bpftool -d prog loadall: level 7)
// on programs of programs/ whose pruning matches the kernel's event for event (others, xdp_lb for one, prune
// at other instructions: a difference of the walk, not of the log).

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { kernelAvailability } from '../../src/oracle/kernel.js';

const root = new URL('../../', import.meta.url).pathname;
const SAFE = /^(from \d+ to \d+: safe|\d+: safe)$/;
const avail = kernelAvailability();

describe.skipIf(!avail.ok)(`pruned paths in the log, as the kernel's${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  it.each(['xdp_flow_count', 'xdp_dns_filter', 'xdp_atomics', 'xdp_icmp_echo', 'xdp_tailcall', 'xdp_spinlock', 'xdp_map_in_map'])('%s: the same "safe" lines in the same order', async (name) => {
    const pin = `/sys/fs/bpf/wx-logsafe-${name}-${process.pid}`;
    const r = spawnSync('sh', ['-c', `bpftool -d prog loadall "${root}programs/${name}.o" "${pin}" 2>&1; rm -rf "${pin}"`], { encoding: 'utf8', maxBuffer: 1 << 26 });
    const kernel = r.stdout.split('\n').filter((l) => SAFE.test(l));
    expect(kernel.some((l) => l.startsWith('from '))).toBe(true);
    const dp = await Datapath.create();
    const o = await dp.loadObject(`${root}programs/${name}.o`, { logLevel: 2 });
    const ours = [...o.programs.values()].flatMap((p) => p.verifierLog.split('\n')).filter((l) => SAFE.test(l));
    expect(ours).toEqual(kernel);
  });
});
