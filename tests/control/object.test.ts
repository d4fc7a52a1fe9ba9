// Loaded objects through the control API: ring buffer consumption, BTF-typed maps, trace_printk,
// helper availability and load errors. Expected values are derived from the programs' C sources and
// the corpus bytes (not from wxdp's own output).

import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath, TRACE_LINES_KEPT } from '../../src/control/datapath.js';
import { ProgramError, VerifierError } from '../../src/errors.js';
import { join } from 'node:path';
import { loadCorpus } from '../../scripts/program-suite.mjs';

const root = new URL('../../', import.meta.url).pathname;
const corpus = loadCorpus(root);
const prog = (name: string) => `${root}programs/${name}`;

describe('BpfObject', () => {
  it('ringbuf(): every 3rd frame of the corpus arrives as xdp_sampler.c lays it out', async () => {
    const dp = await Datapath.create();
    const obj = await dp.loadObject(prog('xdp_sampler.o'));
    const p = obj.program('xdp_sampler');
    for (const pkt of corpus) expect(p.testRun({ data: pkt.data }).retval).toBe(2);
    const got: Uint8Array[] = [];
    obj.ringbuf('samples').poll((r) => void got.push(r.slice()));

    // struct sample { u32 seq; u16 frame_len; be16 eth_proto; u16 head_len; u16 pad; u8 head[32]; }
    // IP frames shorter than 32 bytes are reserved then discarded; other frames of < 32 bytes carry 14.
    const want: Uint8Array[] = [];
    corpus.forEach((pkt, seq) => {
      if (seq % 3 !== 0) return;
      const proto = (pkt.data[12]! << 8) | pkt.data[13]!;
      const ip = proto === 0x0800 || proto === 0x86dd;
      if (ip && pkt.data.length < 32) return;
      const s = new Uint8Array(44);
      const v = new DataView(s.buffer);
      const head = pkt.data.length >= 32 ? 32 : 14;
      v.setUint32(0, seq, true);
      v.setUint16(4, pkt.data.length, true);
      s[6] = pkt.data[12]!;
      s[7] = pkt.data[13]!;
      v.setUint16(8, head, true);
      s.set(pkt.data.subarray(0, head), 12);
      want.push(s);
    });
    expect(got.map((r) => Buffer.from(r).toString('hex'))).toEqual(want.map((r) => Buffer.from(r).toString('hex')));
    expect(obj.ringbuf('samples').poll(() => {})).toBe(0); // consumed
  });

  it('typedMap(): keys and values decoded through BTF (struct flow_key / struct flow_stats)', async () => {
    const dp = await Datapath.create();
    const obj = await dp.loadObject(prog('xdp_flow_stats.o'));
    // 01-ipv4-udp-dns: 192.0.2.1:40000 -> 198.51.100.1:53 UDP, 71 bytes
    obj.program('xdp_flow_stats').testRun({ data: corpus[0]!.data });
    const flows = obj.typedMap<Record<string, unknown>, Record<string, unknown>>('flows');
    const entries = [...flows.entries()];
    expect(entries).toHaveLength(1);
    const [key, value] = entries[0]!;
    // saddr[0] holds the address in network byte order, read as a little-endian u32: c0 00 02 01
    expect(key).toMatchObject({ saddr: [0x010200c0, 0, 0, 0], daddr: [0x016433c6, 0, 0, 0], sport: 0x409c, dport: 0x3500, proto: 17, family: 4 });
    expect(value).toMatchObject({ packets: 1n, bytes: 71n });
  });

  it('typedMap() refuses a map without BTF types', async () => {
    const dp = await Datapath.create();
    const obj = await dp.loadObject(prog('xdp_tailcall.o'));
    const progArray = [...obj.maps.values()].find((m) => m.typeName === 'prog_array')!;
    expect(() => obj.typedMap(progArray.name)).toThrow(/no BTF key\/value types/);
  });

  it('a prog_array takes the tableIndex of a program of its Datapath; any other number is EBADF, as an fd that is no program', async () => {
    const dp = await Datapath.create();
    const obj = await dp.loadObject(prog('xdp_tailcall.o'));
    const jmp = obj.map('jmp_table');
    const u32 = (n: number) => new Uint8Array(Uint32Array.of(n).buffer);
    jmp.update(u32(1), u32(obj.program('xdp_udp').tableIndex));
    expect(() => jmp.update(u32(2), u32(12345))).toThrow(/map 'jmp_table': update: EBADF/);
    // a slot no program of this Datapath holds (table indices are per Datapath, as fds are per process)
    const empty = obj.program('xdp_tcp').tableIndex + 100;
    expect(() => jmp.update(u32(3), u32(empty))).toThrow(/EBADF/);
  });
});

describe('Datapath', () => {
  it('bpf_trace_printk output is kept for traceLines() (the last TRACE_LINES_KEPT; clear empties it)', async () => {
    const dp = await Datapath.create();
    // "n=%d\n\0" on the stack, then bpf_trace_printk(fmt, 6, r3), r3 counting up from a map-free loop
    const p = await dp.loadInsns(
      assemble(['r1 = 0x000a64253d6e ll', '*(u64 *)(r10 - 8) = r1', 'r1 = r10', 'r1 += -8', 'r2 = 6', 'r3 = 7', 'call 6', 'r0 = 2', 'exit'].join('\n')),
    );
    expect(p.testRun({ data: corpus[0]!.data }).retval).toBe(2);
    expect(dp.traceLines()).toEqual(['n=7\n']);
    p.testRun({ data: corpus[0]!.data, repeat: TRACE_LINES_KEPT + 5 });
    const lines = dp.traceLines({ clear: true });
    expect(lines.length).toBe(TRACE_LINES_KEPT);
    expect(lines.every((l) => l === 'n=7\n')).toBe(true);
    expect(dp.traceLines()).toEqual([]);
  });

  it('bpf_trace_printk output goes to a custom sink', async () => {
    const lines: string[] = [];
    const dp = await Datapath.create({ trace: (l) => void lines.push(l) });
    // "n=%d\n\0" on the stack, then bpf_trace_printk(fmt, 6, 42)
    const p = await dp.loadInsns(
      assemble(['r1 = 0x000a64253d6e ll', '*(u64 *)(r10 - 8) = r1', 'r1 = r10', 'r1 += -8', 'r2 = 6', 'r3 = 42', 'call 6', 'r0 = 2', 'exit'].join('\n')),
    );
    expect(p.testRun({ data: corpus[0]!.data }).retval).toBe(2);
    expect(lines).toEqual(['n=42\n']);
  });

  it('rejects at load a program calling a helper wxdp lacks, naming the helper', async () => {
    const dp = await Datapath.create();
    // bpf_get_current_cgroup_id (80): XDP may call it in the kernel; wxdp does not provide it
    const insns = assemble('r2 = 0\nr3 = 0\nr4 = 0\nr5 = 0\ncall 80\nexit');
    await expect(dp.loadInsns(insns)).rejects.toThrow(ProgramError);
    await expect(dp.loadInsns(insns)).rejects.toThrow(/insn 4: program of this type cannot use helper bpf_get_current_cgroup_id#80 \(the kernel allows it in XDP; wxdp does not provide it\)/);
  });

  it('verifies at load: verified programs run unchecked, a rejected one throws VerifierError with the log', async () => {
    const dp = await Datapath.create();
    const obj = await dp.loadObject(join(root, 'programs/xdp_parse.o'));
    const p = obj.program();
    expect(p.checked).toBe(false);
    expect(p.verifierStats!.insnsProcessed).toBeGreaterThan(0);
    const unverified = await dp.loadObject(join(root, 'programs/xdp_pass_drop.o'), { verify: false });
    expect(unverified.program().checked).toBe(true);
    expect(unverified.program().verifierStats).toBeUndefined();
    await expect(dp.loadObject(join(root, 'programs/xdp_pass_drop.o'), { verify: false, checked: false })).rejects.toThrow(/unchecked mode is only for verified programs/);
    const err = await dp.loadObject(join(root, 'programs/verifier/reject/map_value_no_null_check.o'), { logLevel: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerifierError);
    const v = err as VerifierError;
    expect(v.reason).toBe("R0 invalid mem access 'map_value_or_null'");
    expect(v.index).toBe(7);
    expect(v.message).toMatch(/^map_value_no_null_check: insn 7: R0 invalid mem access 'map_value_or_null'$/);
    expect(v.log).toMatch(/^7: \(\w\w\) .*\nR0 invalid mem access 'map_value_or_null'\nprocessed \d+ insns/m);
    // A frozen .rodata map refuses writes from the API (BPF_MAP_FREEZE), so what the verifier read stays true.
    const globals = await dp.loadObject(join(root, 'programs/xdp_globals.o'));
    expect(() => globals.map('.rodata').update(new Uint8Array(4), new Uint8Array(globals.map('.rodata').valueSize))).toThrow(/frozen/);
  });

  it('names the object when the ELF is malformed', async () => {
    const dp = await Datapath.create();
    await expect(dp.loadObject(new Uint8Array(10), { path: 'x.o' })).rejects.toThrow(/x\.o|ELF|header/);
  });
});
