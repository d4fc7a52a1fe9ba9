// Programs: section names → types, linking of subprograms, call and callback fix-ups, map references,
// func/line info. Expected values come from the fixtures' recorded tool output (tests/elf/fixtures):
// libbpf's debug log ("prog 'xdp_first': insn #0 relocated, imm 9 points to subprog 'global_len' (now at
// 10 offset)"), the verifier's listing of what libbpf submitted ("5: (18) r2 = 0x9", "func#1 @10"), and
// llvm-objdump -dr.

import { describe, expect, it } from 'vitest';
import { Alu64, encode, Ins, type Insn } from '../../src/isa/insn.js';
import { findSectionDef, parseObject, PROGRAM_TYPE_IDS, type ProgramSpec } from '../../src/elf/index.js';
import { writeBpfObject } from '../../src/oracle/bpf_object.js';
import { fixtureBytes, parseLibbpfLog, readFixture } from './oracle.js';

const parse = (name: string) => parseObject(fixtureBytes(`${name}.o`), { path: `${name}.o` });
const prog = (spec: { programs: ProgramSpec[] }, name: string) => spec.programs.find((p) => p.name === name)!;
const layout = (p: ProgramSpec) => p.functions!.map((f) => `${f.name}@${f.index}`);

describe('section names → program types (libbpf section_defs)', () => {
  it('types every program of calls.o as bpftool prog show does', () => {
    // calls.libbpf.txt: xdp ×5, socket_filter, sched_cls; attach types are libbpf's expected_attach_type.
    const spec = parse('calls');
    expect(spec.programs.map((p) => [p.name, p.section, p.type, p.attachType, p.frags])).toEqual([
      ['xdp_first', 'xdp', 'xdp', 'xdp', undefined],
      ['xdp_second', 'xdp', 'xdp', 'xdp', undefined],
      ['xdp_frags_prog', 'xdp.frags', 'xdp', 'xdp', true],
      ['xdp_devmap_prog', 'xdp/devmap', 'xdp', 'xdp_devmap', undefined],
      ['xdp_cpumap_prog', 'xdp/cpumap', 'xdp', 'xdp_cpumap', undefined],
      ['sock_prog', 'socket', 'socket_filter', undefined, undefined],
      ['tc_prog', 'tc', 'sched_cls', undefined, undefined],
    ]);
  });

  it("gives 'unspec' to sections libbpf 1.x does not know, as its strict matching does", () => {
    // sections.libbpf.txt: "prog 'prog_xdp_foo': unrecognized ELF section name 'xdp_foo'", same for 'xdp/foo'.
    const log = parseLibbpfLog(readFixture('sections.libbpf.txt'));
    expect(log.lines).toContain("prog 'prog_xdp_foo': unrecognized ELF section name 'xdp_foo'");
    expect(log.lines).toContain("prog 'prog_xdp_slash_foo': unrecognized ELF section name 'xdp/foo'");
    const spec = parse('sections');
    expect(spec.programs.map((p) => [p.section, p.type, p.attachType, p.frags])).toEqual([
      ['xdp_foo', 'unspec', undefined, undefined],
      ['xdp/foo', 'unspec', undefined, undefined],
      ['xdp.frags/devmap', 'xdp', 'xdp_devmap', true],
      ['classifier', 'sched_cls', undefined, undefined],
      ['sk_skb/stream_parser', 'sk_skb', 'sk_skb_stream_parser', undefined],
    ]);
  });

  it("matches 'name', 'name+' and 'name/' patterns like libbpf's sec_def_matches()", () => {
    const t = (s: string) => findSectionDef(s)?.type;
    expect(t('kprobe')).toBe('kprobe');
    expect(t('kprobe/do_sys_open')).toBe('kprobe');
    expect(t('kprobex')).toBeUndefined();
    expect(t('kprobe.multi/x*')).toBe('kprobe');
    expect(t('socket')).toBe('socket_filter');
    expect(t('socket/x')).toBeUndefined();
    expect(t('sk_reuseport/migrate')).toBe('sk_reuseport');
    expect(findSectionDef('sk_reuseport')!.attachType).toBe('sk_reuseport_select');
    expect(findSectionDef('fentry.s/do_unlinkat')).toMatchObject({ type: 'tracing', attachType: 'trace_fentry', sleepable: true });
    expect(findSectionDef('xdp.frags/cpumap')).toMatchObject({ type: 'xdp', attachType: 'xdp_cpumap', frags: true });
    expect(t('cgroup_skb/ingress')).toBe('cgroup_skb');
    expect(PROGRAM_TYPE_IDS.xdp).toBe(6); // BPF_PROG_TYPE_XDP
  });
});

describe('linking subprograms (bpf_object__reloc_code)', () => {
  const spec = parse('calls');

  it('appends each called .text function once, depth first, in a copy per program', () => {
    // libbpf: xdp_first → global_len now at 10, classify at 16, bump at 26 (classify's calls relocated
    // before xdp_first's second call); xdp_devmap_prog → 4, 10, 20; xdp_second → bump at 8. The verifier
    // agrees: func#1 @10, func#2 @16, func#3 @26.
    expect(layout(prog(spec, 'xdp_first'))).toEqual(['xdp_first@0', 'global_len@10', 'classify@16', 'bump@26']);
    expect(layout(prog(spec, 'xdp_devmap_prog'))).toEqual(['xdp_devmap_prog@0', 'global_len@4', 'classify@10', 'bump@20']);
    expect(layout(prog(spec, 'xdp_second'))).toEqual(['xdp_second@0', 'bump@8']);
    expect(layout(prog(spec, 'xdp_cpumap_prog'))).toEqual(['xdp_cpumap_prog@0']);
    expect(prog(spec, 'xdp_first').insns).toHaveLength(39); // bump is 13 slots: 26 + 13
  });

  it('fixes call offsets for global (imm -1 + symbol) and static (section symbol + imm) callees', () => {
    // libbpf: "prog 'xdp_first': insn #0 relocated, imm 9 …", "#2 relocated, imm 13 …",
    // "prog 'classify': insn #4 relocated, imm 5 …", "#7 … imm 2" (unrelocated pc-relative calls in .text).
    const p = prog(spec, 'xdp_first');
    expect([p.insns[0]!.imm, p.insns[2]!.imm, p.insns[16 + 4]!.imm, p.insns[16 + 7]!.imm]).toEqual([9, 13, 5, 2]);
    for (const i of [0, 2, 20, 23]) expect(p.insns[i]!.src).toBe(1);
  });

  it('turns a callback address into ld_imm64 src=BPF_PSEUDO_FUNC with a relative imm', () => {
    // objdump: "r2 = 232 ll" with R_BPF_64_64 .text (loop_cb at byte 232 = slot 29 of .text); libbpf:
    // "prog 'xdp_frags_prog': insn #5 relocated, imm 9 points to subprog 'loop_cb' (now at 15 offset)";
    // the verifier's listing: "5: (18) r2 = 0x9".
    const p = prog(spec, 'xdp_frags_prog');
    expect(layout(p)).toEqual(['xdp_frags_prog@0', 'loop_cb@15']);
    expect(p.funcRefs).toEqual([{ index: 5, target: 15, name: 'loop_cb' }]);
    expect(p.insns[5]).toMatchObject({ code: 0x18, dst: 2, src: 4, imm: 9, imm64: 9n });
    expect(p.insns[6]).toMatchObject({ isLdImm64Tail: true, imm: 0 });
    // The subprogram's own relocations come along: "prog 'loop_cb': found data map 1 (calls.bss, …) for insn 5".
    expect(p.mapRefs).toEqual([{ index: 15 + 5, map: 'calls.bss', kind: 'value', offset: 0 }]);
    expect(p.insns[20]).toMatchObject({ src: 2, imm64: 0n });
  });

  it("links a call into a function of the caller's own section (which libbpf refuses)", () => {
    // own_section_call.libbpf.txt: "prog 'caller': bad call relo against 'helper_in_xdp' in section 'xdp'".
    const log = parseLibbpfLog(readFixture('own_section_call.libbpf.txt'));
    expect(log.lines).toContain("prog 'caller': bad call relo against 'helper_in_xdp' in section 'xdp'");
    const s = parse('own_section_call');
    expect(s.programs.map((p) => p.name)).toEqual(['helper_in_xdp', 'caller']);
    const caller = prog(s, 'caller');
    expect(layout(caller)).toEqual(['caller@0', 'helper_in_xdp@2']);
    expect(caller.insns[0]).toMatchObject({ code: 0x85, src: 1, imm: 1 });
    expect(caller.funcInfo.map((f) => [f.index, f.name])).toEqual([
      [0, 'caller'],
      [2, 'helper_in_xdp'],
    ]);
  });

  it('moves func_info and line_info with each function', () => {
    const p = prog(spec, 'xdp_devmap_prog');
    expect(p.funcInfo.map((f) => [f.index, f.name])).toEqual([
      [0, 'xdp_devmap_prog'],
      [4, 'global_len'],
      [10, 'classify'],
      [20, 'bump'],
    ]);
    for (const f of p.funcInfo) expect(spec.btf!.type(f.typeId)).toMatchObject({ kind: 'func', name: f.name });
    // The verifier printed "; return classify(global_len(ctx)); @ calls.c:70" before slot 0 and
    // "; static __noinline int classify(__u32 len) @ calls.c:24" before slot 10 (calls.libbpf.txt).
    expect(p.lineInfo.find((l) => l.index === 0)).toMatchObject({ line: 70, text: '\treturn classify(global_len(ctx));' });
    expect(p.lineInfo.find((l) => l.index === 10)).toMatchObject({ line: 24, column: 0, text: 'static __noinline int classify(__u32 len)' });
    expect(p.lineInfo.every((l) => l.file.endsWith('calls.c'))).toBe(true);
    const idx = p.lineInfo.map((l) => l.index);
    expect(idx).toEqual([...idx].sort((a, b) => a - b));
    expect(Math.max(...idx)).toBeLessThan(p.insns.length);
  });

  it('gives each program the object license', () => {
    expect(parse('btf_maps').programs[0]!.license).toBe('Dual BSD/GPL');
  });
});

describe('relocations against maps and global data', () => {
  it("loads a map with src=BPF_PSEUDO_MAP_FD and a variable's address with src=BPF_PSEUDO_MAP_VALUE + offset", () => {
    // objdump: insn 7 R_BPF_64_64 ro_limit (symbol value 12), insn 24 "r2 = 12 ll" R_BPF_64_64 .data (static
    // variable: section symbol + imm), insn 46 "r1 = 16 ll" R_BPF_64_64 .rodata (the printk format).
    // The verifier's listing shows the value addresses ending in …00c, …e00c and …010.
    const p = parse('global_data').programs[0]!;
    expect(p.mapRefs.slice(0, 5)).toEqual([
      { index: 7, map: 'global_d.rodata', kind: 'value', offset: 12 },
      { index: 11, map: 'global_d.data', kind: 'value', offset: 0 },
      { index: 16, map: 'global_d.rodata', kind: 'value', offset: 0 },
      { index: 19, map: 'global_d.data', kind: 'value', offset: 8 },
      { index: 24, map: 'global_d.data', kind: 'value', offset: 12 },
    ]);
    expect(p.insns[24]).toMatchObject({ code: 0x18, src: 2, imm: 12, imm64: 12n });
    expect(p.insns[25]).toMatchObject({ isLdImm64Tail: true, imm: 0 });
    const m = parse('btf_maps').programs[0]!;
    expect(m.insns[4]).toMatchObject({ code: 0x18, dst: 1, src: 1, imm: 0, imm64: 0n });
    expect(m.mapRefs[0]).toEqual({ index: 4, map: 'counters', kind: 'fd', offset: 0 });
  });
});

describe('objects written by the kernel oracle (src/oracle/bpf_object.ts)', () => {
  it('reads back the program it was given: entry function, subprograms in call order, callback', () => {
    // slot 0–6: main, calls f1 (slot 7) and takes f2's address (slot 9); 7–8: f1, calls f2; 9–10: f2.
    const code: Insn[] = [
      Alu64.mov.imm(1, 3),
      Ins.callLocal(7 - 1 - 1),
      ...Ins.lddw(2, BigInt(9 - 2 - 1), 4),
      Alu64.mov.imm(3, 0),
      Alu64.mov.imm(4, 0),
      Ins.exit(),
      Ins.callLocal(9 - 7 - 1),
      Ins.exit(),
      Alu64.mov.imm(0, 0),
      Ins.exit(),
    ];
    const spec = parseObject(writeBpfObject([{ name: 'main', section: 'xdp', insns: encode(code) }], { btf: true }));
    const p = spec.programs[0]!;
    expect(p.name).toBe('main');
    expect(layout(p)).toEqual(['main@0', 'main__sub7@7', 'main__sub9@9']);
    expect(encode(p.insns)).toEqual(encode(code));
    expect(p.funcRefs).toEqual([{ index: 2, target: 9, name: 'main__sub9' }]);
  });
});
