// CO-RE against wxdp's BTF (src/elf/core.ts): programs/xdp_tp_core declares struct net_device as
// vmlinux.h would (ifindex at byte 228, mtu before it) and a field no kernel has (wxdp_absent).
// Relocated, dev->ifindex and dev->mtu read the device's ifindex and MTU, as on Linux (whose
// bpf_core_field_exists(dev->mtu) is 1: the verifier walks the guarded read there, 41 instructions in
// 6.18.44-fc-v1252, and wxdp has to as well); bpf_core_field_exists(dev->wxdp_absent) is 0 everywhere,
// so its guarded read — poisoned (pointed past the struct) as libbpf poisons a relocation it cannot
// resolve — is dead code and the program loads.

import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { parseObject } from '../../src/elf/index.js';
import { codec } from '../../src/maps/index.js';
import { frame, root } from './support.js';
import { readFileSync } from 'node:fs';

const OBJ = `${root}programs/xdp_tp_core.o`;
const u32 = (v: number) => codec.u32.encode(v);

describe('CO-RE on tp_btf arguments', () => {
  it('dev->ifindex at the compiled offset 228 becomes wxdp\'s offset 0, dev->mtu 4; a missing field is poisoned', () => {
    const spec = parseObject(readFileSync(OBJ));
    const p = spec.programs.find((x) => x.name === 'tp_exception_core')!;
    // r1 = *(u32 *)(r6 + 228) as compiled, relocated to + 0
    expect(p.insns[1]).toMatchObject({ code: 0x61, off: 0 });
    // r1 = bpf_core_field_exists(dev->mtu): 1
    expect(p.insns[15]).toMatchObject({ code: 0xb7, imm: 1 });
    // r1 = *(u32 *)(r6 + 224) (dev->mtu) relocated to + 4 (assembly/abi.ts DEV_MTU)
    expect(p.insns[28]).toMatchObject({ code: 0x61, off: 4 });
    // r1 = bpf_core_field_exists(dev->wxdp_absent): 0
    expect(p.insns[40]).toMatchObject({ code: 0xb7, imm: 0 });
    // the guarded r1 = *(u32 *)(r6 + 232) (dev->wxdp_absent) points past the struct: refused if ever reached
    expect(p.insns[42]).toMatchObject({ code: 0x61, off: 0x7fff });
  });

  it('the verifier walks the mtu read as Linux 6.18 does: 41 instructions (bpftool -d prog loadall, 6.18.44-fc-v1252)', async () => {
    const dp = await Datapath.create();
    try {
      const obj = await dp.loadObject(OBJ);
      expect(obj.program('tp_exception_core').verifierStats?.insnsProcessed).toBe(41);
    } finally {
      await dp.close();
    }
  });

  it('runs on xdp_exception and reads the device\'s ifindex and MTU', async () => {
    const dp = await Datapath.create();
    dp.addDevice({ name: 'eth0' });
    const eth1 = dp.addDevice({ name: 'eth1' });
    const obj = await dp.loadObject(OBJ);
    obj.program('tp_exception_core').attachTracepoint();
    eth1.attachXdp(obj.program('xdp_abort'));
    eth1.inject(frame(60));
    eth1.poll();
    const out = (k: number) => Number(codec.u64.decode(obj.map('out').lookup(u32(k))!));
    // Linux: the ifindex, mtu exists, the MTU (1500 for a new device there too), the absent field's slot untouched
    expect([out(0), out(1), out(2), out(3)]).toEqual([eth1.ifindex, 1, eth1.mtu, 0]);
    expect(eth1.mtu).toBe(1500);
  });
});

describe('CO-RE poison', () => {
  it('a program that reaches a field wxdp does not describe is refused by the verifier', async () => {
    const { assemble } = await import('../../src/asm/index.js');
    const { verify } = await import('../../src/verifier/index.js');
    // what the relocation leaves of dev->mtu without its bpf_core_field_exists guard
    const text = 'r6 = *(u64 *)(r1 + 0)\nr0 = *(u32 *)(r6 + 32767)\nr0 = 0\nexit';
    expect(() => verify(assemble(text), { progType: 'tracing', tracepoint: 'xdp_exception' })).toThrow(/mem_size=8 off=32767/);
  });
});
