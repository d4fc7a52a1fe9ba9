// kfuncs resolved by name as libbpf resolves `__ksym` functions, and the XDP RX-metadata kfuncs
// (programs/xdp_rx_meta.c). What the kernel (6.18) does with the same object: loaded without a device it
// is refused ("metadata kfuncs require device-bound program", checked below with bpftool); loaded
// device-bound on a veth (libbpf bpf_program__set_ifindex + BPF_F_XDP_DEV_BOUND_ONLY, a 20-line loader
// run by hand) it loads and BPF_PROG_TEST_RUN answers EINVAL. veth's metadata ops answer -ENODATA for a
// frame without an skb; wxdp's devices carry no RX metadata and answer the same.

import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Datapath, TestRunError } from '../../src/control/datapath.js';
import { parseObject } from '../../src/elf/index.js';
import { VerifierError } from '../../src/errors.js';
import { KFUNCS } from '../../src/helpers/kfuncs.js';
import { kernelAvailability } from '../../src/oracle/kernel.js';

const path = new URL('../../programs/xdp_rx_meta.o', import.meta.url).pathname;
const ENODATA = -61;

describe('kfuncs', () => {
  it('the object names three kfuncs; the loader resolves them to wxdp BTF ids', () => {
    const spec = parseObject(new Uint8Array(readFileSync(path)), { path });
    const calls = spec.programs[0]!.kfuncCalls!.map((c) => c.name);
    expect(calls).toEqual(['bpf_xdp_metadata_rx_hash', 'bpf_xdp_metadata_rx_timestamp', 'bpf_xdp_metadata_rx_vlan_tag']);
    expect(KFUNCS.filter((k) => k.devBound).map((k) => k.name).sort()).toEqual([...calls].sort());
  });

  it('without a device: refused as the kernel refuses it', async () => {
    const dp = await Datapath.create();
    await expect(dp.loadObject(path)).rejects.toThrow(VerifierError);
    await expect(dp.loadObject(path)).rejects.toThrow(/metadata kfuncs require device-bound program/);
  });

  it('device-bound: no test run (EINVAL); on its device every kfunc answers -ENODATA and leaves its outputs', async () => {
    const dp = await Datapath.create();
    const eth0 = dp.addDevice({ name: 'eth0' });
    const obj = await dp.loadObject(path, { devBound: eth0.ifindex });
    const p = obj.program('xdp_rx_meta');
    expect(() => p.testRun({ data: new Uint8Array(64) })).toThrow(TestRunError);
    expect(() => p.testRun({ data: new Uint8Array(64) })).toThrow(/EINVAL/);
    eth0.attachXdp(p);
    const f = new Uint8Array(64);
    f[12] = 0x08;
    eth0.inject(f);
    eth0.poll();
    expect(eth0.readHost().length).toBe(1);
    const v = new DataView(obj.map('rx_meta').lookup(new Uint8Array(4))!.buffer);
    // struct rx_meta { s32 hash_ret; u32 hash; u32 rss_type; s32 ts_ret; u64 timestamp; s32 vlan_ret; u16 proto; u16 tci; }
    expect([v.getInt32(0, true), v.getUint32(4, true), v.getUint32(8, true)]).toEqual([ENODATA, 0, 0]);
    expect([v.getInt32(12, true), v.getBigUint64(16, true)]).toEqual([ENODATA, 0n]);
    expect([v.getInt32(24, true), v.getUint16(28, true), v.getUint16(30, true)]).toEqual([ENODATA, 0, 0]);
  });

  // programs/xdp_rx_meta_pkt.c: the kfuncs' outputs in the metadata area and in the packet. 6.18.44,
  // device-bound on a veth (the loader above): rx_meta_pkt loads, 34 insns processed; rx_meta_pkt_short
  // is refused at insn 8, "invalid access to packet, off=2 size=2, R3(id=0,off=2,r=3)". So
  // xdp_metadata.c of the kernel's selftests (&meta->rx_hash, a pkt_meta pointer) loads: 38 processed.
  it('packet and metadata pointers as the kfuncs\' outputs: checked against the packet range, as the kernel does', async () => {
    const pkt = new URL('../../programs/xdp_rx_meta_pkt.o', import.meta.url).pathname;
    const dp = await Datapath.create();
    const { ifindex } = dp.addDevice({ name: 'eth0' });
    const ok = await dp.loadObject(pkt, { devBound: ifindex, programs: ['rx_meta_pkt'] });
    expect(ok.program('rx_meta_pkt').verifierStats?.insnsProcessed).toBe(34);
    const short = dp.loadObject(pkt, { devBound: ifindex, programs: ['rx_meta_pkt_short'] });
    await expect(short).rejects.toThrow(VerifierError);
    await expect(dp.loadObject(pkt, { devBound: ifindex, programs: ['rx_meta_pkt_short'] })).rejects.toThrow(
      'rx_meta_pkt_short: insn 8: invalid access to packet, off=2 size=2, R3(id=0,off=2,r=3)',
    );
  });

  // bpf_prog_dev_bound_init, before the verifier: 6.18.44 with libbpf's bpf_program__set_ifindex +
  // BPF_F_XDP_DEV_BOUND_ONLY (the loader above) loads xdp_rx_meta.o on a veth, answers -EOPNOTSUPP on lo
  // and on a vxlan link (no ndo_bpf, as the dummy and 8021q drivers) and -EINVAL on an ifindex no device
  // has. wxdp loaded it on any ifindex (found sweeping the kernel selftests' xdp_metadata.c against lo).
  it('device-bound on loopback or a stack link: EOPNOTSUPP; on no device: EINVAL; on a ring device: loads', async () => {
    const dp = await Datapath.create();
    const refusal = async (devBound: number) => {
      try {
        await dp.loadObject(path, { devBound });
      } catch (e) {
        return e instanceof VerifierError ? [e.errno, e.index, e.log] : e;
      }
      return 'loaded';
    };
    expect(await refusal(1)).toEqual(['EOPNOTSUPP', -1, '']);
    expect(await refusal(7)).toEqual(['EINVAL', -1, '']);
    dp.links.add({ kind: 'dummy', name: 'dummy0', index: 7 });
    expect(await refusal(7)).toEqual(['EOPNOTSUPP', -1, '']);
    const eth0 = dp.addDevice({ name: 'eth0' });
    expect(await refusal(eth0.ifindex)).toBe('loaded');
    // dev_xdp_attach: a device-bound program attaches to its own device only (6.18.44, bpf_xdp_attach in
    // driver mode: the other veth of the pair -EINVAL, its own 0); wxdp attached it anywhere
    const p = (await dp.loadObject(path, { devBound: eth0.ifindex })).program('xdp_rx_meta');
    const eth1 = dp.addDevice({ name: 'eth1' });
    expect(() => eth1.attachXdp(p)).toThrow(expect.objectContaining({ code: 'PROG_ATTACH', errno: 'EINVAL' }));
    expect(() => eth1.attachXdp(p)).toThrow(/Program bound to different device/);
    eth0.attachXdp(p);
    expect(eth0.program).toBe(p);
    // nor is it a prog_array value (bpf_prog_map_compatible; 6.18.44: -EINVAL for xdp_metadata.c's rx in
    // its own prog_arr, bound to a veth); wxdp stored it
    const arr = (await dp.loadObject(new URL('../../programs/xdp_tailcall.o', import.meta.url).pathname)).map('jmp_table');
    expect(() => arr.update(new Uint8Array(4), Uint8Array.of(p.fd & 255, p.fd >> 8, 0, 0))).toThrow(expect.objectContaining({ errno: 22 }));
  });

  it('a kfunc wxdp does not provide: the program is skipped (PROG_UNSUPPORTED), named when asked for', async () => {
    const spec = parseObject(new Uint8Array(readFileSync(path)), { path });
    spec.programs[0]!.kfuncCalls![0]!.name = 'bpf_xdp_metadata_rx_foo';
    const dp = await Datapath.create();
    const obj = await dp.loadObject(spec, { devBound: dp.addDevice({ name: 'eth0' }).ifindex });
    expect(obj.programs.size).toBe(0);
    expect(() => obj.program('xdp_rx_meta')).toThrow(expect.objectContaining({ code: 'PROG_UNSUPPORTED' }));
    expect(() => obj.program('xdp_rx_meta')).toThrow(/kfunc 'bpf_xdp_metadata_rx_foo' is not supported by wxdp/);
  });
});

const avail = kernelAvailability();
describe.skipIf(!avail.ok)(`the kernel${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  it('refuses the object loaded without a device, with the same words', () => {
    const pin = `/sys/fs/bpf/wx-progs14-rxmeta-${process.pid}`;
    try {
      const r = spawnSync('bpftool', ['prog', 'loadall', path, pin], { encoding: 'utf8' });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/metadata kfuncs require device-bound program/);
    } finally {
      rmSync(pin, { recursive: true, force: true });
    }
  });
});
