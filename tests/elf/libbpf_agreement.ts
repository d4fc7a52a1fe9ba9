// What libbpf and the kernel did with an object (the `bpftool -d prog loadall` log and bpftool's
// show/dump output, see fixtures/build.sh), checked against parseObject(): shared by objects.test.ts
// (recorded logs) and kernel.test.ts (a live run).

import { expect, it } from 'vitest';
import { parseObject, type ProgramSpec } from '../../src/elf/index.js';
import { parseLibbpfLog } from './oracle.js';

/** Define the tests comparing parseObject(bytes) with a libbpf log; nothing when libbpf refused the object. */
export function libbpfAgreement(path: string, bytes: Uint8Array, logText: string): void {
  const log = parseLibbpfLog(logText);
  if (log.loadFailed) return;
  const spec = parseObject(bytes, { path });
  const mapByName = new Map(spec.maps.map((m) => [m.name, m]));

  it('has the programs libbpf loaded, with the types the kernel shows', () => {
    const loaded = [...log.programs].filter(([, p]) => p.show);
    expect(spec.programs.map((p) => p.name).sort()).toEqual(loaded.map(([n]) => n).sort());
    for (const p of spec.programs) {
      expect(p.type).toBe(log.programs.get(p.name)!.show!.type);
      expect(p.name.slice(0, 15)).toBe(log.programs.get(p.name)!.show!.name);
    }
    // libbpf's program order: section, then offset ("sec '…': found program '…'" lines, .text aside).
    const found = log.lines.flatMap((l) => {
      const m = /^sec '(.+)': found program '(.+)' at insn offset (\d+) \(\d+ bytes\), code size (\d+) insns/.exec(l);
      return m && m[1] !== '.text' ? [m[2]!] : [];
    });
    expect(spec.programs.map((p) => p.name)).toEqual(found);
  });

  it('submits the instructions libbpf submitted (the verifier\'s listing), slot for slot', () => {
    for (const p of spec.programs) {
      const listing = log.programs.get(p.name)!.listing;
      const ours = p.insns.flatMap((ins, slot) => (ins.isLdImm64Tail ? [] : [{ slot, ins }]));
      expect(ours.map((o) => o.slot), p.name).toEqual(listing.map((l) => l.slot));
      listing.forEach((l, i) => {
        const { ins, slot } = ours[i]!;
        const where = `${p.name} insn ${slot}: ${l.text}`;
        expect(ins.code, where).toBe(l.code);
        const call = /^call pc([+-]\d+)$/.exec(l.text);
        if (call) expect({ src: ins.src, imm: ins.imm }, where).toEqual({ src: 1, imm: Number(call[1]) });
        const helper = /^call \S+#(\d+)$/.exec(l.text);
        if (helper) expect({ src: ins.src, imm: ins.imm }, where).toEqual({ src: 0, imm: Number(helper[1]) });
        const jump = /goto pc([+-]\d+)$/.exec(l.text);
        if (jump) expect(ins.off, where).toBe(Number(jump[1]));
        const ld = /^r(\d+) = 0x([0-9a-f]+)$/.exec(l.text);
        if (l.code === 0x18 && ld) {
          expect(ins.dst, where).toBe(Number(ld[1]));
          const value = BigInt('0x' + ld[2]);
          const ref = p.mapRefs.find((m) => m.index === slot);
          if (ref) {
            // The kernel put a kernel address there: the map, or (mmap()able array, page-aligned
            // value) the value's address, whose low 12 bits are the offset.
            expect(value >> 48n, where).toBe(0xffffn);
            if (ref.kind === 'value') expect(Number(value & 0xfffn), where).toBe(ref.offset);
          } else if (ins.src === 4) {
            expect(value, where).toBe(BigInt(ins.imm));
          } else {
            expect(value, where).toBe(BigInt.asUintN(64, ins.imm64!));
          }
        }
      });
    }
  });

  it('starts functions where the verifier found them (func#N @M), each with its func_info', () => {
    for (const p of spec.programs) {
      const starts = log.programs.get(p.name)!.funcStarts;
      expect(p.functions!.map((f) => f.index).sort((a, b) => a - b), p.name).toEqual(starts);
      expect(p.funcInfo.map((f) => f.index).sort((a, b) => a - b), p.name).toEqual(starts);
      for (const fi of p.funcInfo) expect(fi.name).toBe(p.functions!.find((f) => f.index === fi.index)!.name);
    }
  });

  it('has the line info the verifier printed', () => {
    // The verifier prints the line in effect at an instruction: the last record at or before it.
    for (const p of spec.programs) {
      for (const l of log.programs.get(p.name)!.lines) {
        const at = Math.max(...p.lineInfo.filter((x) => x.index <= l.slot).map((x) => x.index));
        const ours = p.lineInfo.filter((x) => x.index === at);
        // The kernel prints the source line without its indentation (verbose_linfo → ltrim).
        expect(
          ours.some((x) => x.text.trimStart() === l.text && x.line === l.line && x.file.endsWith(l.file)),
          `${p.name} slot ${l.slot}: ${l.text}`,
        ).toBe(true);
      }
    }
  });

  it('lists maps in the order libbpf defines them', () => {
    const order = log.lines.flatMap((l) => {
      const m = /^map '(.+)'(?: \(global data\))?: at sec_idx \d+, offset \d+/.exec(l);
      return m ? [m[1]!] : [];
    });
    expect(spec.maps.map((m) => m.name)).toEqual(order);
  });

  it('defines the maps libbpf created, as bpftool map show lists them', () => {
    // Inner map templates are created and closed by libbpf; every other map is listed.
    expect(log.maps.map((m) => m.name).sort()).toEqual(spec.maps.map((m) => m.name.slice(0, 15)).sort());
    for (const km of log.maps) {
      const m = spec.maps.find((x) => x.name.slice(0, 15) === km.name)!;
      // The kernel itself sets BPF_F_RDONLY_PROG on devmaps (dev_map_init_map), libbpf does not.
      const kernelFlags = m.typeName === 'devmap' || m.typeName === 'devmap_hash' ? 0x80 : 0;
      expect({ type: m.typeName, flags: m.flags | kernelFlags, key: m.keySize, value: m.valueSize, max: m.maxEntries, frozen: !!m.readonly }, km.name).toEqual({
        type: km.type,
        flags: km.flags,
        key: km.keySize,
        value: km.valueSize,
        max: km.maxEntries,
        frozen: km.frozen,
      });
    }
  });

  it("agrees with libbpf's debug log on every map definition field, relocation and subprogram", () => {
    const allMaps = spec.maps.flatMap((m) => (m.innerMap ? [m, m.innerMap] : [m]));
    let current: ProgramSpec | undefined;
    let checked = 0;
    for (const line of log.lines) {
      let m: RegExpExecArray | null;
      checked++;
      if ((m = /^map '(.+)': found (type|max_entries|map_flags|numa_node|key_size|value_size|pinning|map_extra) = (\S+)\.$/.exec(line))) {
        const map = allMaps.find((x) => x.name === m![1])!;
        const field = { type: map.type, max_entries: map.maxEntries, map_flags: map.flags, numa_node: map.numaNode, key_size: map.keySize, value_size: map.valueSize, pinning: map.pinning === 'by_name' ? 1 : 0, map_extra: map.mapExtra }[m[2]!];
        // libbpf rounds ring buffer sizes up later (fill_map_from_def), after printing the raw value.
        if (m[2] === 'max_entries' && map.typeName === 'ringbuf') continue;
        expect(field, line).toBe(Number(m[3]));
      } else if ((m = /^map '(.+)': found (key|value) \[(\d+)\], sz = (\d+)\.$/.exec(line))) {
        const map = allMaps.find((x) => x.name === m![1])!;
        expect(m[2] === 'key' ? [map.keyTypeId, map.keySize] : [map.valueTypeId, map.valueSize], line).toEqual([Number(m[3]), Number(m[4])]);
      } else if ((m = /^map '(.+)' \(global data\): at sec_idx \d+, offset 0, flags ([0-9a-f]+)\.$/.exec(line))) {
        expect(mapByName.get(m[1]!)!.flags, line).toBe(parseInt(m[2]!, 16));
      } else if ((m = /^prog '(.+)': found (data )?map \d+ \((.+), sec \d+, off \d+\) for insn #?(\d+)$/.exec(line))) {
        // insn is the index inside function m[1], in every program that contains it.
        for (const p of spec.programs) {
          for (const f of p.functions!.filter((g) => g.name === m![1])) {
            const ref = p.mapRefs.find((r) => r.index === f.index + Number(m![4]));
            expect(ref?.map, `${p.name}: ${line}`).toBe(m[3]);
            expect(ref?.kind, `${p.name}: ${line}`).toBe(m[2] ? 'value' : 'fd');
          }
        }
      } else if ((m = /^prog '(.+)': found extern #\d+ '(.+)' \(sym \d+\) for insn #(\d+)$/.exec(line))) {
        const p = spec.programs.find((x) => x.name === m![1])!;
        const kconfig = spec.maps.find((x) => x.kind === 'kconfig')!;
        expect(p.mapRefs.find((r) => r.index === Number(m![3])), line).toEqual({
          index: Number(m[3]),
          map: kconfig.name,
          kind: 'value',
          offset: kconfig.kconfig!.find((v) => v.name === m![2])!.offset,
        });
      } else if ((m = /^extern \(kcfg\) #\d+: symbol \d+, off (\d+), name (.+)$/.exec(line))) {
        const kconfig = spec.maps.find((x) => x.kind === 'kconfig')!;
        expect(kconfig.kconfig!.find((v) => v.name === m![2])!.offset, line).toBe(Number(m[1]));
      } else if ((m = /^prog '(.+)': insn #(\d+) relocated, imm (-?\d+) points to subprog '(.+)' \(now at (\d+) offset\)$/.exec(line))) {
        // Lines come grouped by entry program, in libbpf's program order; subprograms' lines inside.
        const main = spec.programs.find((p) => p.name === m![1]);
        if (main && main !== current) current = main;
        const p = current!;
        const f = p.functions!.find((g) => g.name === m![1])!;
        expect(p.functions!.find((g) => g.name === m![4])!.index, `${p.name}: ${line}`).toBe(Number(m[5]));
        expect(p.insns[f.index + Number(m[2])]!.imm, `${p.name}: ${line}`).toBe(Number(m[3]));
      } else if ((m = /^\.maps relo #\d+: map '(.+)' slot \[(\d+)\] points to (map|prog) '(.+)'$/.exec(line))) {
        const slot = mapByName.get(m[1]!)!.initSlots!.find((s) => s.index === Number(m![2]));
        expect(slot, line).toEqual({ index: Number(m[2]), [m[3] === 'map' ? 'map' : 'program']: m[4] });
      } else if ((m = /^license of .+ is (.*)$/.exec(line))) {
        expect(spec.license).toBe(m[1]);
      } else if ((m = /^kernel version of .+ is ([0-9a-f]+)$/.exec(line))) {
        expect(spec.kernelVersion).toBe(parseInt(m[1]!, 16));
      } else {
        checked--;
      }
    }
    // Every object libbpf loaded has at least its license line and one map or relocation line.
    expect(checked).toBeGreaterThan(1);
  });
}
