// bpf_fib_lookup's ingress device (params->ifindex) against the kernel, from a stack nothing has
// configured yet: bpf_ipv4_fib_lookup / bpf_ipv6_fib_lookup (net/core/filter.c) answer -ENODEV when
// dev_get_by_index_rcu finds no device (ifindex 0, one never made), FWD_DISABLED when its
// in_device / inet6_dev does not forward, and otherwise look the route up whatever the device's state:
// loopback always exists (a namespace's first device), so ifindex 1 is looked up like any other — found
// before by a test run on a fresh Datapath, whose loopback record came with dp.links only (-ENODEV).
// Then ip_forward and IPv6 forwarding on (every device's too, lo's and those made later: devconf_dflt),
// a device down and one up with a route through it. One fresh namespace against one fresh Datapath;
// programs/fib_probe.o under BPF_PROG_TEST_RUN, the struct and the return code compared byte for byte.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { kernelAvailability, loadKernelProgram } from '../../src/oracle/kernel.js';
import { describeLookup } from './support/fib_scenario.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const PROBE = join(root, 'programs/fib_probe.o');
const RUNNER = join(root, 'tests/net/support/test_run_batch.py');

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (a network namespace, BPF_PROG_TEST_RUN)';
  if (spawnSync('ip', ['-V']).error) return 'ip not found';
  if (spawnSync('python3', ['--version']).error) return 'python3 not found';
  const k = kernelAvailability();
  return k.ok ? undefined : k.reason;
}
const skip = skipReason();

/** A fib_probe frame: family, ifindex, flags, the destination (and an IPv6 source: a global one). */
function frame(v6: boolean, ifindex: number, flags: number, dst: number[]): Uint8Array {
  const f = new Uint8Array(80);
  const v = new DataView(f.buffer);
  f[0] = v6 ? 10 : 2;
  f[1] = 17;
  v.setUint16(2, 4000, false);
  v.setUint16(4, 53, false);
  v.setUint16(6, 100, true);
  v.setUint32(8, ifindex, true);
  if (v6) f.set([0x20, 1, 0x0d, 0xb8, 0, 1, ...new Array(9).fill(0), 7], 16);
  else f.set([192, 0, 2, 7], 16);
  f.set(dst, 32);
  v.setUint32(64, flags, true);
  return f;
}

const DST4 = [198, 51, 100, 9];
const DST6 = [0x20, 1, 0x0d, 0xb8, 0, 0x20, ...new Array(9).fill(0), 9];
/** ifindex 0, lo, a device down (5), one up (6), one never made (99); flags 0, OUTPUT, DIRECT, SKIP_NEIGH. */
function lookups(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const v6 of [false, true]) for (const ifindex of [0, 1, 5, 6, 99]) for (const flags of [0, 2, 1, 4]) out.push(frame(v6, ifindex, flags, v6 ? DST6 : DST4));
  return out;
}

describe.skipIf(skip !== undefined)('bpf_fib_lookup by ingress ifindex against the kernel', () => {
  it('ifindex 0, lo, a down device, an up one and a missing one answer as Linux does, before and after any configuration', async () => {
    const ns = `wx-fibif-${process.pid}`;
    const sh = (args: string[], input?: string): string => {
      const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', input });
      if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const dp = await Datapath.create();
    const prog = loadKernelProgram(PROBE);
    const bad: string[] = [];
    try {
      sh(['ip', 'netns', 'add', ns]);
      const p = (await dp.loadObject(PROBE)).program('fib_probe');
      const compare = (stage: string): void => {
        const frames = lookups();
        const kernel = sh(['python3', RUNNER, prog.pinPath, ns], frames.map((f) => Buffer.from(f).toString('hex')).join('\n') + '\n').trim().split('\n');
        frames.forEach((f, n) => {
          const w = p.testRun({ data: f });
          const ours = `${w.retval} ${Buffer.from(w.data).toString('hex')}`;
          if (ours !== kernel[n]) bad.push(`${stage}: ${describeLookup(Buffer.from(f).toString('hex'))}\n  kernel: ${kernel[n]}\n  wxdp:   ${ours}`);
        });
      };
      // nothing configured: the program loaded before any link, address or sysctl (lo down, forwarding off)
      compare('fresh');
      for (const [k, v] of [['net.ipv4.ip_forward', 1], ['net.ipv6.conf.all.forwarding', 1]] as const) {
        sh(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', `${k}=${v}`]);
        dp.sysctls.set(k, v);
      }
      compare('forwarding on');
      for (const line of [
        'link add d0 index 5 type veth peer name e0 index 7', 'link add d1 index 6 address 02:00:00:00:00:06 type veth peer name e1 index 8',
        'link set d1 up', 'link set e1 up', 'link set lo up',
        'addr add 192.0.2.1/24 dev d1', 'addr add 2001:db8:1::1/64 dev d1 nodad',
        'route add 198.51.100.0/24 via 192.0.2.2', 'route add 2001:db8:20::/48 via 2001:db8:1::2',
        'neigh add 192.0.2.2 lladdr 02:00:00:00:00:22 dev d1 nud permanent', 'neigh add 2001:db8:1::2 lladdr 02:00:00:00:00:22 dev d1 nud permanent',
      ]) {
        sh(['ip', '-n', ns, ...line.split(' ')]);
        dp.ip(line);
      }
      compare('routes');
    } finally {
      prog.close();
      spawnSync('ip', ['netns', 'del', ns]);
      await dp.close();
    }
    expect(bad).toEqual([]);
  });
});
