// Objects that hold more than wxdp runs: XDP programs beside kprobe/TC programs (programs/xdp_mixed.c), an
// XDP program that calls a helper wxdp lacks and one with autoload off (programs/xdp_optional.c), and a
// devmap program reading egress_ifindex (programs/xdp_devmap_egress.c). The kernel is the judge where it
// can be asked: it loads every program of xdp_mixed and xdp_devmap_egress, runs xdp_mixed_pass and
// xdp_check_mtu (XDP_PASS), refuses egress_ifindex outside BPF_XDP_DEVMAP with "invalid bpf_context
// access off=20 size=4", refuses to test-run the devmap program (EINVAL), and leaves SEC("?xdp") unloaded.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { Datapath, TestRunError } from '../../src/control/datapath.js';
import { parseObject } from '../../src/elf/index.js';
import { VerifierError, WxdpError } from '../../src/errors.js';
import { kernelAvailability } from '../../src/oracle/kernel.js';

const root = new URL('../../', import.meta.url).pathname;
const prog = (name: string) => `${root}programs/${name}`;
const frame = (n: number, tag = 0): Uint8Array => {
  const f = new Uint8Array(n);
  f.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00]);
  f[14] = tag;
  return f;
};

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s: string) => void (out += s), err: (s: string) => void (err += s) });
  return { code, out, err };
}

describe('an object with programs wxdp cannot run', () => {
  it('loads its XDP programs and skips the others with the reason; asking for one names it', async () => {
    const dp = await Datapath.create();
    const obj = await dp.loadObject(prog('xdp_mixed.o'));
    expect([...obj.programs.keys()]).toEqual(['xdp_mixed_pass', 'xdp_mixed_count', 'xdp_check_mtu']);
    expect([...obj.skipped.keys()].sort()).toEqual(['kprobe_count', 'tc_pass']);
    expect(obj.program('xdp_mixed_pass').testRun({ data: frame(64) }).retval).toBe(2);
    expect(obj.program('xdp_mixed_count').testRun({ data: frame(64) }).retval).toBe(2);
    // bpf_check_mtu: 64 bytes fit loopback's 65536 + 14 (the kernel's run below says XDP_PASS too)
    expect(obj.program('xdp_check_mtu').testRun({ data: frame(64) }).retval).toBe(2);
    expect(() => obj.program('kprobe_count')).toThrow(/program kprobe_count \(section kprobe\/do_nanosleep\): program type kprobe is not supported by wxdp/);
    expect(() => obj.program('tc_pass')).toThrow(/program type sched_cls is not supported by wxdp/);
    const opt = await dp.loadObject(prog('xdp_optional.o'));
    expect(() => opt.program('xdp_cgroup_stamp')).toThrow(/cannot use helper bpf_get_current_cgroup_id#80 \(the kernel allows it in XDP; wxdp does not provide it\)/);
    // a type whose kernel helper set is not recorded here says which type it is, not XDP
    const tp = await dp.loadObject(prog('xdp_tp_probe_read.o'));
    expect(() => tp.program('tp_read_str')).toThrow(expect.objectContaining({ code: 'PROG_UNSUPPORTED' }));
    expect(() => tp.program('tp_read_str')).toThrow(/cannot use helper bpf_probe_read_kernel_str#115 \(wxdp does not provide it to tracepoint programs\)/);
    try {
      obj.program('kprobe_count');
    } catch (e) {
      expect((e as WxdpError).code).toBe('PROG_UNSUPPORTED');
    }
  });

  it('LoadOptions.programs loads only those (libbpf autoload); another is NOT_FOUND by name', async () => {
    const dp = await Datapath.create();
    const obj = await dp.loadObject(prog('xdp_mixed.o'), { programs: ['xdp_mixed_count'] });
    expect([...obj.programs.keys()]).toEqual(['xdp_mixed_count']);
    expect(() => obj.program('xdp_mixed_pass')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    await expect(dp.loadObject(prog('xdp_mixed.o'), { programs: ['nope'] })).rejects.toThrow(/no program 'nope'/);
  });

  it('a verifier rejection still fails the whole object, as the kernel fails libbpf', async () => {
    const dp = await Datapath.create();
    // the devmap object with its attach type forced to plain XDP: egress_ifindex is refused
    const spec = parseObject(new Uint8Array(readFileSync(prog('xdp_devmap_egress.o'))), { path: 'xdp_devmap_egress.o' });
    for (const p of spec.programs) delete p.attachType;
    await expect(dp.loadObject(spec)).rejects.toThrow(VerifierError);
    await expect(dp.loadObject(spec)).rejects.toThrow(/invalid bpf_context access off=20 size=4/);
  });

  it('wxdp prog run … name xdp_mixed_pass works; name xdp_cgroup_stamp and name kprobe_count say why not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxdp-progs14-'));
    try {
      const pkt = join(dir, 'pkt');
      writeFileSync(pkt, frame(64));
      const ok = await cli(['prog', 'run', prog('xdp_mixed.o'), 'name', 'xdp_mixed_pass', 'data_in', pkt]);
      expect(ok.code).toBe(0);
      expect(ok.out).toMatch(/^Return value: 2, duration: \d+ns\n$/);
      const cg = await cli(['prog', 'run', prog('xdp_optional.o'), 'name', 'xdp_cgroup_stamp', 'data_in', pkt]);
      expect(cg.code).not.toBe(0);
      expect(cg.err).toMatch(/bpf_get_current_cgroup_id#80/);
      const kp = await cli(['prog', 'run', prog('xdp_mixed.o'), 'name', 'kprobe_count', 'data_in', pkt]);
      expect(kp.code).not.toBe(0);
      expect(kp.err).toMatch(/program type kprobe is not supported by wxdp/);
      const load = await cli(['prog', 'load', prog('xdp_mixed.o')]);
      expect(load.code).toBe(0);
      expect(load.err).toMatch(/note: program tc_pass \(section tc\): program type sched_cls is not supported by wxdp; skipped/);
      expect(load.out).toMatch(/^xdp_mixed_pass: xdp/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SEC("xdp/devmap") programs', () => {
  it('read egress_ifindex when a devmap entry runs them; test_run answers EINVAL', async () => {
    const dp = await Datapath.create();
    const eth0 = dp.addDevice({ name: 'eth0' });
    const eth1 = dp.addDevice({ name: 'eth1' });
    const obj = await dp.loadObject(prog('xdp_devmap_egress.o'));
    const stamp = obj.program('xdp_devmap_stamp');
    expect(stamp.spec.attachType).toBe('xdp_devmap');
    expect(() => stamp.testRun({ data: frame(64) })).toThrow(TestRunError);
    expect(() => stamp.testRun({ data: frame(64) })).toThrow(/EINVAL/);
    // dev_xdp_attach refuses it on a device (6.18.44, bpf_xdp_attach in driver mode on a veth: -EINVAL);
    // wxdp attached it (found in the rw54 real-world sweep)
    expect(() => eth0.attachXdp(stamp)).toThrow(expect.objectContaining({ code: 'PROG_ATTACH', errno: 'EINVAL' }));
    expect(() => eth0.attachXdp(stamp)).toThrow(/BPF_XDP_DEVMAP programs can not be attached to a device/);
    expect(eth0.program).toBeUndefined();
    const u32 = (v: number) => Uint8Array.of(v & 255, (v >> 8) & 255, (v >> 16) & 255, v >>> 24);
    obj.map('tx_ports').update(u32(0), Uint8Array.of(...u32(eth1.ifindex), ...u32(stamp.fd)));
    eth0.attachXdp(obj.program('xdp_to_devmap'));
    eth0.inject(frame(64, 7));
    eth0.poll();
    const out = eth1.readTx();
    expect(out.length).toBe(1);
    // source MAC bytes 4 and 5 (frame offsets 10, 11): ingress then egress ifindex, as the C source writes them
    const want = frame(64, 7);
    want[10] = eth0.ifindex;
    want[11] = eth1.ifindex;
    expect(Buffer.from(out[0]!.data).toString('hex')).toBe(Buffer.from(want).toString('hex'));
  });
});

describe('SEC("?xdp"): an XDP program with autoload off (programs/xdp_optional.c)', () => {
  it('is parsed as section xdp, type xdp, autoload false, as libbpf opens it', () => {
    const spec = parseObject(readFileSync(prog('xdp_optional.o')));
    const p = spec.programs.find((x) => x.name === 'xdp_on_demand')!;
    expect({ section: p.section, type: p.type, autoload: p.autoload }).toEqual({ section: 'xdp', type: 'xdp', autoload: false });
    expect(spec.programs.find((x) => x.name === 'xdp_default')!.autoload).toBeUndefined();
  });

  it('is left out by default and loads when asked for by name (bpf_program__set_autoload)', async () => {
    const dp = await Datapath.create();
    const all = await dp.loadObject(prog('xdp_optional.o'));
    expect([...all.programs.keys()]).toEqual(['xdp_default']);
    expect(all.skipped.get('xdp_on_demand')).toMatchObject({ why: 'autoload' });
    expect(all.skipped.get('xdp_cgroup_stamp')).toMatchObject({ why: 'unsupported' });
    const one = await dp.loadObject(prog('xdp_optional.o'), { programs: ['xdp_on_demand'] });
    const p = one.program('xdp_on_demand');
    // by hand: a 40-byte frame is shorter than 60 (XDP_DROP), a 64-byte one passes; both counted
    expect([p.testRun({ data: frame(40) }).retval, p.testRun({ data: frame(64) }).retval]).toEqual([1, 2]);
    expect(one.map('seen').lookup(new Uint8Array(4))).toEqual(Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0));
    await dp.close();
  });
});

const avail = kernelAvailability();
describe.skipIf(!avail.ok)(`the kernel on the same objects${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  const pinDir = `/sys/fs/bpf/wx-progs14-types-${process.pid}`;
  const bpftool = (args: string[]) => spawnSync('bpftool', args, { encoding: 'utf8' });
  it('loads every program of both objects; runs xdp_mixed_pass and xdp_check_mtu (2); refuses the devmap program\'s test run (EINVAL)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxdp-progs14-'));
    try {
      const pkt = join(dir, 'pkt');
      writeFileSync(pkt, frame(64));
      for (const o of ['xdp_mixed', 'xdp_devmap_egress']) {
        const r = bpftool(['prog', 'loadall', prog(`${o}.o`), `${pinDir}-${o}`]);
        expect(r.status, r.stderr).toBe(0);
      }
      expect(readdirSync(`${pinDir}-xdp_mixed`).sort()).toEqual(['kprobe_count', 'tc_pass', 'xdp_check_mtu', 'xdp_mixed_count', 'xdp_mixed_pass']);
      const run = bpftool(['prog', 'run', 'pinned', `${pinDir}-xdp_mixed/xdp_mixed_pass`, 'data_in', pkt]);
      expect(run.stdout).toMatch(/^Return value: 2,/);
      const mtu = bpftool(['prog', 'run', 'pinned', `${pinDir}-xdp_mixed/xdp_check_mtu`, 'data_in', pkt]);
      expect(mtu.stdout).toMatch(/^Return value: 2,/);
      const dm = bpftool(['prog', 'run', 'pinned', `${pinDir}-xdp_devmap_egress/xdp_devmap_stamp`, 'data_in', pkt]);
      expect(dm.status).not.toBe(0);
      expect(dm.stderr).toMatch(/Invalid argument/);
      // forced to plain XDP (bpftool's `type xdp`: expected_attach_type BPF_XDP), egress_ifindex is refused
      const forced = bpftool(['prog', 'loadall', prog('xdp_devmap_egress.o'), `${pinDir}-forced`, 'type', 'xdp']);
      expect(forced.status).not.toBe(0);
      expect(forced.stderr).toMatch(/invalid bpf_context access off=20 size=4/);
    } finally {
      for (const s of ['-xdp_mixed', '-xdp_devmap_egress', '-forced']) rmSync(`${pinDir}${s}`, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('libbpf leaves a SEC("?xdp") program unloaded: loadall cannot pin it, prog load pins the other', () => {
    try {
      const all = bpftool(['prog', 'loadall', prog('xdp_optional.o'), `${pinDir}-opt`]);
      expect(all.status).not.toBe(0);
      expect(all.stderr).toMatch(/prog 'xdp_on_demand': can't pin program that wasn't loaded/);
      const first = bpftool(['prog', 'load', prog('xdp_optional.o'), `${pinDir}-opt1`]);
      expect(first.status, first.stderr).toBe(0);
      expect(JSON.parse(bpftool(['-j', 'prog', 'show', 'pinned', `${pinDir}-opt1`]).stdout).name).toBe('xdp_default');
    } finally {
      for (const s of ['-opt', '-opt1']) rmSync(`${pinDir}${s}`, { recursive: true, force: true });
    }
  });
});
