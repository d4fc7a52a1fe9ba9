// stats.stackDepth is each subprogram's stack depth as the kernel reports it after verification
// (print_verification_stats' `stack depth A+B+…`, one number per subprogram in order, after the
// fixups): the deepest access in whole 8-byte slots (grow_stack_state), an inlined bpf_loop's three
// hidden slots (optimize_bpf_loop, 24 bytes) and may_goto's counter and start time (do_misc_fixups'
// timed may_goto on x86-64, 16 bytes) in the functions that have them.
//
// The depths are Linux 6.18's (6.18.44-fc-v1252, x86-64; `bpftool -d prog loadall`, verifier log level
// 1|2|4). Where the kernel can be asked (root, bpftool), the table is checked against it too. Every
// program of programs/ the kernel accepts agreed when these were recorded (103 programs).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';

const root = new URL('../../', import.meta.url).pathname;

/** object:program -> the kernel's `stack depth`. */
const KERNEL: Record<string, string> = {
  // may_goto: 48 + 16, 208 + 16; mg_calls' static function has no stack of its own, only its loop's
  'xdp_may_goto:mg_sum': '64',
  'xdp_may_goto:mg_tlv': '224',
  'xdp_may_goto:mg_calls': '16+16',
  // bpf_loop inlined (16 + 24) or not (its callback's frame is a subprogram of its own, 0)
  'xdp_loop_e2big:inlined': '40+0',
  'xdp_loop_e2big:helper': '24+0',
  'xdp_loops:loop_csum': '96+0',
  'xdp_nat:xdp_nat': '208+0',
  // 4 bytes used is a slot of 8; 91 is 96; 9 is 16
  'xdp_loops:loop_bytes': '8',
  'xdp_dynptr_frags:xdp_dynptr_frags': '96',
  'sk_reuseport:select_by_load_bytes': '16',
  // every subprogram, those without stack too
  'xdp_calls:xdp_calls': '0+176+0+0+0+0+0+0',
};

const objects = [...new Set(Object.keys(KERNEL).map((k) => k.split(':')[0]!))];

/** Why the kernel cannot be asked (undefined: it can). */
function kernelUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux';
  if (process.getuid?.() !== 0) return 'loading programs needs root';
  if (process.env['WXDP_NO_KERNEL']) return 'WXDP_NO_KERNEL is set';
  if (spawnSync('bpftool', ['version']).status !== 0) return 'no bpftool';
  return undefined;
}

/** The kernel's `stack depth` of each program of an object (bpftool -d prog loadall's verifier logs). */
function kernelStackDepths(obj: string): Record<string, string> {
  const pin = mkdtempSync('/sys/fs/bpf/wxdp-stack-');
  try {
    const r = spawnSync('bpftool', ['-d', 'prog', 'loadall', `${root}programs/${obj}.o`, join(pin, 'p')], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const out: Record<string, string> = {};
    let prog: string | undefined;
    for (const line of `${r.stdout}\n${r.stderr}`.split('\n')) {
      const m = /prog '([^']*)': -- BEGIN PROG LOAD LOG/.exec(line);
      if (m) prog = m[1];
      const d = /^stack depth (\S+)/.exec(line);
      if (d && prog) {
        out[`${obj}:${prog}`] = d[1]!;
        prog = undefined;
      }
    }
    return out;
  } finally {
    rmSync(pin, { recursive: true, force: true });
  }
}

describe('stack depth, as the kernel reports it', () => {
  it.each(objects)('%s: every program listed has the stack depth Linux 6.18 reports', async (obj) => {
    const dp = await Datapath.create();
    try {
      const o = await dp.loadObject(`${root}programs/${obj}.o`);
      for (const [key, depth] of Object.entries(KERNEL)) {
        const [file, prog] = key.split(':') as [string, string];
        if (file !== obj) continue;
        const sd = o.programs.get(prog)?.verifierStats?.stackDepth;
        const ours = sd && [...sd.entries()].sort((a, b) => a[0] - b[0]).map(([, d]) => d).join('+');
        expect({ prog, depth: ours }).toEqual({ prog, depth });
      }
    } finally {
      await dp.close();
    }
  }, 120_000);

  const skip = kernelUnavailable();
  it.skipIf(skip !== undefined)(`the table is the running kernel's${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const live = Object.assign({}, ...objects.map(kernelStackDepths)) as Record<string, string>;
    expect(Object.fromEntries(Object.keys(KERNEL).map((k) => [k, live[k]]))).toEqual(KERNEL);
  }, 120_000);
});
