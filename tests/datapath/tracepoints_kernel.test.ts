// programs/xdp_tp_counters in the kernel and in wxdp, the same frames, the same counts: the kernel side
// is a veth pair in a namespace (XDP in native mode on one end, frames sent out of the other, IPv6 off
// so nothing else crosses), the object loaded and its tp_btf programs attached with libbpf
// (tests/support/tp_loader.c, built here with gcc -lbpf). Steps: 3 frames XDP_ABORTED, 1 frame with
// the invalid action 7, 1 frame bpf_redirect'ed to ifindex 42 (no such device). Skipped with the
// reason without root, namespaces, gcc or libbpf.
//
// programs/xdp_tp_bulk likewise: XDP_TX on the veth (its peer runs an XDP_PASS program, so veth takes XDP
// frames back), one frame per step: each sendto is one NAPI poll in the kernel, so one xdp_bulk_tx of
// sent 1; wxdp polls once per frame to match (tracepoints_bulk_tx.test.ts has the bulks of 16).
//
// programs/xdp_tp_classic likewise, with classic tracepoint programs (the event's record, tracefs'
// layout) and a raw_tp program (the argument array), and the three programs the kernel refuses to attach.
//
// Not compared: a redirect that succeeds. The kernel refuses to transmit out of a veth whose peer has no
// XDP program (-EOPNOTSUPP in xdp_redirect_err); wxdp's devices always take redirected frames.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Datapath, type BpfObject } from '../../src/control/datapath.js';
import type { Device } from '../../src/control/device.js';
import { codec } from '../../src/maps/index.js';
import { useNamespaces } from '../support/netns.js';
import { withKernelTracepoints } from '../support/tp_lock.js';
import { frame, root } from './support.js';

const OBJ = `${root}programs/xdp_tp_counters.o`;
const STEPS: [mode: number, to: number, n: number][] = [
  [0, 0, 3],
  [2, 0, 1],
  [1, 42, 1],
];

const nsa = useNamespaces('tp14');
const dir = mkdtempSync(join(tmpdir(), 'wx-tp14-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const loader = join(dir, 'tp_loader');
const built = nsa.available.ok ? spawnSync('gcc', ['-O1', '-o', loader, `${root}tests/support/tp_loader.c`, '-lbpf'], { encoding: 'utf8' }) : undefined;
const buildReason = !built ? '' : built.error ? `gcc: ${built.error.message}` : built.status !== 0 ? `gcc -lbpf failed: ${built.stderr.split('\n')[0]}` : '';
if (buildReason) it.skip(`kernel side unavailable: ${buildReason}`, () => {});

/** Attach refusals (program → errno name), then counts after each step as "k=v" maps; the device's ifindex is the XDP device. */
function parse(out: string): { refused: Record<string, string>; ifindex: number; steps: Record<number, number>[] } {
  const all = out.trim().split('\n');
  const refused = Object.fromEntries(all.filter((l) => l.startsWith('refused ')).map((l) => l.split(' ')).map(([, name, errno]) => [name!, ERRNO_NAMES[Number(errno)] ?? errno!]));
  const lines = all.filter((l) => !l.startsWith('refused '));
  const ifindex = Number(/^ifindex (\d+)/.exec(lines[0]!)![1]);
  const steps = lines.slice(1).map((l) => Object.fromEntries(l.split(' ').slice(1).map((kv) => kv.split('=').map(Number))) as Record<number, number>);
  return { refused, ifindex, steps };
}

/** The errnos an attach may answer (Linux's numbers). */
const ERRNO_NAMES: Record<number, string> = { 2: 'ENOENT', 13: 'EACCES', 22: 'EINVAL' };

/** The `counts` map's non-zero counters (keys 0..15), as the loader prints them. */
function counts(obj: { map(name: string): { lookup(k: Uint8Array): Uint8Array | undefined } }): Record<number, number> {
  const c: Record<number, number> = {};
  for (let key = 0; key < 16; key++) {
    const v = Number(codec.u64.decode(obj.map('counts').lookup(codec.u32.encode(key))!));
    if (v) c[key] = v;
  }
  return c;
}

/**
 * The kernel side: a namespace with a veth pair (IPv6 off, so nothing else crosses), the loader run on
 * `obj` with XDP on tpb and frames sent out of tpa, `input` its step lines; what it printed, parsed.
 */
function kernelRun(obj: string, input: string): ReturnType<typeof parse> {
  const ns = nsa.set.create();
  ns.sysctl({ 'net.ipv6.conf.all.disable_ipv6': 1, 'net.ipv6.conf.default.disable_ipv6': 1 });
  ns.ip('link', 'add', 'tpa', 'type', 'veth', 'peer', 'name', 'tpb');
  ns.ip('link', 'set', 'tpa', 'up');
  ns.ip('link', 'set', 'tpb', 'up');
  return parse(withKernelTracepoints(() => ns.exec([loader, obj, 'tpb', 'tpa'], { input, timeoutMs: 20_000 })));
}

/** wxdp's side of STEPS: cfg set, the step's frames into eth0, one poll; the counts after each. */
function wxdpSteps(obj: BpfObject, eth0: Device): Record<number, number>[] {
  const u32 = (v: number) => codec.u32.encode(v);
  return STEPS.map(([mode, to, n]) => {
    obj.map('cfg').update(u32(0), u32(mode));
    obj.map('cfg').update(u32(1), u32(to === 0 ? eth0.ifindex : to));
    for (let i = 0; i < n; i++) eth0.inject(frame(60));
    eth0.poll();
    return counts(obj);
  });
}

/** dev->ifindex (counter 10) is each side's own XDP device; everything else must agree. */
const norm = (steps: Record<number, number>[], ifindex: number) => steps.map((s) => ({ ...s, 10: s[10] === ifindex ? 'dev' : s[10] }));

describe.skipIf(!nsa.available.ok || buildReason !== '')('xdp_tp_counters: kernel and wxdp count the same', () => {
  it('xdp_exception by action, xdp_redirect_err with -EINVAL, INT_MAX, the ifindex', async () => {
    const k = kernelRun(OBJ, STEPS.map((s) => s.join(' ')).join('\n') + '\n');

    const dp = await Datapath.create();
    const eth0 = dp.addDevice({ name: 'eth0' });
    const obj = await dp.loadObject(OBJ);
    for (const n of ['tp_exception', 'tp_redirect', 'tp_redirect_err']) obj.program(n).attachTracepoint();
    eth0.attachXdp(obj.program('xdp_act'));
    const w = wxdpSteps(obj, eth0);
    expect(k.steps.length).toBe(STEPS.length);
    expect(norm(w, eth0.ifindex)).toEqual(norm(k.steps, k.ifindex));
  });
});

const CLASSIC_OBJ = `${root}programs/xdp_tp_classic.o`;

describe.skipIf(!nsa.available.ok || buildReason !== '')('xdp_tp_classic: classic and raw tracepoint programs, kernel and wxdp', () => {
  it('the records and arguments they read count the same; the same three programs are refused at attach, with the same errno', async () => {
    const k = kernelRun(CLASSIC_OBJ, STEPS.map((s) => s.join(' ')).join('\n') + '\n');

    const dp = await Datapath.create();
    const eth0 = dp.addDevice({ name: 'eth0' });
    const obj = await dp.loadObject(CLASSIC_OBJ);
    const refused: Record<string, string> = {};
    for (const p of obj.programs.values()) {
      if (p.name === 'xdp_act') continue;
      try {
        p.attachTracepoint();
      } catch (e) {
        refused[p.name] = (e as { errno?: string }).errno ?? String(e);
      }
    }
    eth0.attachXdp(obj.program('xdp_act'));
    const w = wxdpSteps(obj, eth0);
    expect(refused).toEqual({ tp_past_record: 'EACCES', raw_past_args: 'EINVAL', tp_gone: 'ENOENT' });
    expect(refused).toEqual(k.refused);
    expect(k.steps.length).toBe(STEPS.length);
    // hand-derived from the formats: 3 ABORTED, then action 7, then bpf_redirect(42) failing with -EINVAL
    // (to_ifindex 42, map_id INT_MAX, map_index 0); raw_tp's third argument is the action
    expect(norm(w, eth0.ifindex)).toEqual([
      { 0: 3, 8: 3, 10: 'dev' },
      { 0: 3, 7: 1, 8: 4, 10: 'dev', 15: 7 },
      { 0: 3, 7: 1, 8: 4, 9: 1, 10: 'dev', 11: 22, 12: 0x7fffffff, 14: 42, 15: 7 },
    ]);
    expect(norm(w, eth0.ifindex)).toEqual(norm(k.steps, k.ifindex));
  });
});

const BULK_OBJ = `${root}programs/xdp_tp_bulk.o`;

describe.skipIf(!nsa.available.ok || buildReason !== '')('xdp_tp_bulk: kernel and wxdp count the same', () => {
  it('xdp_bulk_tx: one bulk per poll with sent, drops, err and dev->ifindex', async () => {
    const steps = [1, 1, 1];
    const k = kernelRun(BULK_OBJ, steps.map((n) => `0 0 ${n}`).join('\n') + '\n');

    const dp = await Datapath.create();
    const eth0 = dp.addDevice({ name: 'eth0' });
    const obj = await dp.loadObject(BULK_OBJ);
    obj.program('tp_bulk_tx').attachTracepoint();
    eth0.attachXdp(obj.program('xdp_act'));
    const w: Record<number, number>[] = [];
    for (const n of steps) {
      for (let i = 0; i < n; i++) {
        eth0.inject(frame(60));
        eth0.poll();
      }
      eth0.readTx();
      w.push(counts(obj));
    }
    expect(k.steps.length).toBe(steps.length);
    expect(k.steps[2]![0]).toBe(3); // the kernel made one bulk per frame
    expect(norm(w, eth0.ifindex)).toEqual(norm(k.steps, k.ifindex));
  });
});
