// Map definitions, with the values the reference tools give for the fixtures. Unless a comment says
// otherwise, expected values come from tests/elf/fixtures/<name>.libbpf.txt: `bpftool map show` after
// `bpftool prog loadall` (libbpf 1.1, Linux 6.18) and libbpf's debug lines ("map 'flows': found
// key [23], sz = 16.").

import { describe, expect, it } from 'vitest';
import { adjustRingbufSize, internalMapName, objectNameFromPath, parseObject, type MapSpec } from '../../src/elf/index.js';
import { fixtureBytes, parseLibbpfLog, readFixture } from './oracle.js';

const parse = (name: string, opts: { path?: string; objectName?: string } = { path: `${name}.o` }) => parseObject(fixtureBytes(`${name}.o`), opts);
const pick = (m: MapSpec) => ({ name: m.name, typeName: m.typeName, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags });

describe('BTF-defined maps (.maps)', () => {
  const spec = parse('btf_maps');

  it('reads type, key, value, max_entries and flags of every map type', () => {
    // bpftool map show (btf_maps.libbpf.txt); BPF_MAP_TYPE_* numbers from <linux/bpf.h>. The kernel
    // shows devmaps with flags 0x80, which it sets itself; libbpf asks for 0.
    expect(spec.maps.filter((m) => m.kind === 'btf').map(pick)).toEqual([
      { name: 'counters', typeName: 'array', type: 2, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 },
      { name: 'flows', typeName: 'hash', type: 1, keySize: 16, valueSize: 48, maxEntries: 1024, flags: 1 },
      { name: 'percpu_stats', typeName: 'percpu_array', type: 6, keySize: 4, valueSize: 16, maxEntries: 8, flags: 0 },
      { name: 'lru', typeName: 'lru_hash', type: 9, keySize: 8, valueSize: 4, maxEntries: 512, flags: 0 },
      { name: 'routes', typeName: 'lpm_trie', type: 11, keySize: 8, valueSize: 4, maxEntries: 255, flags: 1 },
      { name: 'work_queue', typeName: 'queue', type: 22, keySize: 0, valueSize: 4, maxEntries: 64, flags: 0 },
      { name: 'work_stack', typeName: 'stack', type: 23, keySize: 0, valueSize: 8, maxEntries: 64, flags: 0 },
      { name: 'percpu_hash', typeName: 'percpu_hash', type: 5, keySize: 4, valueSize: 8, maxEntries: 128, flags: 0 },
      { name: 'lru_percpu', typeName: 'lru_percpu_hash', type: 10, keySize: 4, valueSize: 8, maxEntries: 128, flags: 0 },
      { name: 'events', typeName: 'ringbuf', type: 27, keySize: 0, valueSize: 0, maxEntries: 8192, flags: 0 },
      { name: 'xsks', typeName: 'xskmap', type: 17, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
      { name: 'cpus', typeName: 'cpumap', type: 16, keySize: 4, valueSize: 8, maxEntries: 2, flags: 0 },
      { name: 'tx_ports_hash', typeName: 'devmap_hash', type: 25, keySize: 4, valueSize: 4, maxEntries: 32, flags: 0 },
      { name: 'tx_ports', typeName: 'devmap', type: 14, keySize: 4, valueSize: 8, maxEntries: 16, flags: 0 },
    ]);
  });

  it('keeps the BTF ids of __type(key, …) and __type(value, …)', () => {
    // libbpf: "map 'flows': found key [23], sz = 16." / "found value [30], sz = 48."; bpftool btf dump:
    // [23] STRUCT 'flow_key' size=16, [30] STRUCT 'flow_stats' size=48, [11] TYPEDEF 'counter_t'.
    const flows = spec.maps.find((m) => m.name === 'flows')!;
    expect([flows.keyTypeId, flows.valueTypeId]).toEqual([23, 30]);
    expect(spec.btf!.type(23).name).toBe('flow_key');
    const counters = spec.maps.find((m) => m.name === 'counters')!;
    expect([counters.keyTypeId, counters.valueTypeId]).toEqual([8, 11]);
    // __uint(key_size)/__uint(value_size) give sizes but no type (no "found key" line for percpu_stats).
    const percpu = spec.maps.find((m) => m.name === 'percpu_stats')!;
    expect([percpu.keyTypeId, percpu.valueTypeId]).toEqual([undefined, undefined]);
  });

  it('rounds ring buffer sizes up like libbpf (a power-of-2 multiple of the page size)', () => {
    // btf_maps.c asks for 5000; libbpf prints "found max_entries = 5000", bpftool shows 8192.
    expect(adjustRingbufSize(5000)).toBe(8192);
    expect(adjustRingbufSize(4096)).toBe(4096);
    expect(adjustRingbufSize(3 * 4096)).toBe(16384);
    expect(adjustRingbufSize(0)).toBe(0);
  });

  it('reads pinning, numa_node and map_extra', () => {
    // pinned.libbpf.txt: "found pinning = 1", "found numa_node = 0", "found map_flags = 0x4",
    // "found map_extra = 0x3"; bpftool: bloom_filter key 0B value 8B max_entries 100.
    const p = parse('pinned');
    expect(p.maps.map((m) => ({ ...pick(m), pinning: m.pinning, numaNode: m.numaNode, mapExtra: m.mapExtra }))).toEqual([
      { name: 'seen', typeName: 'bloom_filter', type: 30, keySize: 0, valueSize: 8, maxEntries: 100, flags: 0, pinning: 'none', numaNode: undefined, mapExtra: 3 },
      { name: 'wxdp_elf_pinned', typeName: 'hash', type: 1, keySize: 4, valueSize: 4, maxEntries: 16, flags: 4, pinning: 'by_name', numaNode: 0, mapExtra: undefined },
    ]);
  });
});

describe('map-in-map and prog_array (__array(values, …))', () => {
  const spec = parse('prog_array');
  const byName = (n: string) => spec.maps.find((m) => m.name === n)!;

  it("parses the inner map definition, named '<outer>.inner'", () => {
    // libbpf: "map 'outer_arr.inner': found type = 2", "found key [8], sz = 4", "found value [8], sz = 4",
    // "found max_entries = 1"; outer maps: bpftool array_of_maps / hash_of_maps, key 4B value 4B.
    expect(pick(byName('outer_arr'))).toEqual({ name: 'outer_arr', typeName: 'array_of_maps', type: 12, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 });
    expect(pick(byName('outer_arr').innerMap!)).toEqual({ name: 'outer_arr.inner', typeName: 'array', type: 2, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 });
    expect(pick(byName('outer_hash').innerMap!)).toEqual({ name: 'outer_hash.inner', typeName: 'hash', type: 1, keySize: 8, valueSize: 8, maxEntries: 16, flags: 0 });
    expect(byName('outer_hash').initSlots).toBeUndefined();
  });

  it('reads .rel.maps initialisers into slots', () => {
    // libbpf: ".maps relo #0: map 'outer_arr' slot [0] points to map 'inner_a'", "#1 … slot [2] … 'inner_b'",
    // "#2: map 'jump_table' slot [1] points to prog 'tail_a'", "#3 … slot [5] … 'tail_b'".
    // llvm-readelf: .rel.maps has R_BPF_64_ABS64 at 0x58, 0x68 (outer_arr at 0x40 + 24 + 8·slot) and
    // 0x90, 0xb0 (jump_table at 0x70 + 24 + 8·slot).
    expect(byName('outer_arr').initSlots).toEqual([
      { index: 0, map: 'inner_a' },
      { index: 2, map: 'inner_b' },
    ]);
    expect(byName('jump_table').initSlots).toEqual([
      { index: 1, program: 'tail_a' },
      { index: 5, program: 'tail_b' },
    ]);
    expect(pick(byName('jump_table'))).toEqual({ name: 'jump_table', typeName: 'prog_array', type: 3, keySize: 4, valueSize: 4, maxEntries: 8, flags: 0 });
  });
});

describe('global data maps (.data, .rodata*, .bss)', () => {
  it("names them as libbpf does: object name prefix cut to fit 15 characters, custom sections as they are", () => {
    // libbpf: "map 'global_d.rodata' (global data): at sec_idx 5, offset 0, flags 480." … '.data.custom',
    // 'global_d.bss', '.rodata.str1.1'; bpftool map show lists the same names.
    const spec = parse('global_data');
    expect(spec.maps.map((m) => [m.name, m.kind, m.flags, m.valueSize, !!m.readonly])).toEqual([
      ['global_d.rodata', 'rodata', 0x480, 23, true],
      ['global_d.data', 'data', 0x400, 16, false],
      ['.data.custom', 'data', 0x400, 16, false],
      ['global_d.bss', 'bss', 0x400, 12, false],
      ['.rodata.str1.1', 'rodata', 0x480, 4, true],
    ]);
    expect(internalMapName('calls', '.bss')).toBe('calls.bss'); // calls.libbpf.txt
    expect(internalMapName('kconfig', '.kconfig')).toBe('kconfig.kconfig'); // kconfig.libbpf.txt
    expect(internalMapName('a_very_long_object_name', '.rodata')).toBe('a_very_l.rodata');
    expect(internalMapName('x-y', '.data')).toBe('x_y.data');
    expect(objectNameFromPath('/tmp/dir/global_data.bpf.o')).toBe('global_data');
  });

  it('falls back to the section name without a path, and takes an explicit object name', () => {
    expect(parse('global_data', {}).maps.map((m) => m.name)).toEqual(['.rodata', '.data', '.data.custom', '.bss', '.rodata.str1.1']);
    expect(parse('global_data', { objectName: 'gd' }).maps.map((m) => m.name)).toEqual(['gd.rodata', 'gd.data', '.data.custom', 'gd.bss', '.rodata.str1.1']);
  });

  it('holds the initial contents (zero for .bss) and the DATASEC as value type', () => {
    // bpftool -j map dump (global_data.libbpf.txt) after loading: .rodata = 03 00 00 00 90 1f 02 00 00 00
    // 00 01 dc 05 00 00 "len %u\0"; .data = 88 77 66 55 44 33 22 11 07 00 00 00 2a 00 00 00.
    const spec = parse('global_data');
    const hex = (m: MapSpec) => Buffer.from(m.data!).toString('hex');
    expect(hex(spec.maps[0]!)).toBe('03000000901f020000000001dc0500006c656e20257500');
    expect(hex(spec.maps[1]!)).toBe('8877665544332211070000002a000000');
    expect(hex(spec.maps[3]!)).toBe('000000000000000000000000');
    expect(spec.btf!.type(spec.maps[0]!.valueTypeId!)).toMatchObject({ kind: 'datasec', name: '.rodata', size: 23 });
    // .rodata.str1.1 has no DATASEC (strings clang merges): no value type, as libbpf ("no btf_id").
    expect(spec.maps[4]!.valueTypeId).toBeUndefined();
  });

  it('fixes DATASEC sizes and variable offsets from the ELF, as libbpf does', () => {
    // bpftool btf dump (raw): [37] DATASEC '.data' size=0 with hits@0, data_word@0, static_counter@12;
    // after libbpf's fix-up bpftool's map dump shows .data = {hits, data_word, static_counter} at 0, 8, 12
    // (llvm-readelf: hits = 0, data_word = 8 in section 6).
    const spec = parse('global_data');
    const ds = spec.btf!.find('.data', 'datasec');
    expect(ds).toMatchObject({ size: 16 });
    expect(ds!.kind === 'datasec' && ds!.vars.map((v) => [spec.btf!.type(v.type).name, v.offset, v.size])).toEqual([
      ['hits', 0, 8],
      ['data_word', 8, 4],
      ['static_counter', 12, 4],
    ]);
  });
});

describe('legacy maps section (struct bpf_map_def)', () => {
  it('reads each symbol of `maps` as a definition, with libbpf 0.x rules', () => {
    // libbpf 1.1 refuses it (legacy_maps.libbpf.txt: "legacy map definitions in 'maps' section are not
    // supported by libbpf v1.0+"). Values from legacy_maps.c; `llvm-readelf -x maps` shows
    // 06 00 00 00 04 00 00 00 08 00 00 00 00 01 00 00 00 00 00 00 for legacy_counts, 20 bytes each.
    const log = parseLibbpfLog(readFixture('legacy_maps.libbpf.txt'));
    expect(log.loadFailed).toBe(true);
    expect(log.lines).toContain("elf: legacy map definitions in 'maps' section are not supported by libbpf v1.0+");
    const spec = parse('legacy_maps');
    expect(spec.maps.map((m) => ({ ...pick(m), kind: m.kind }))).toEqual([
      { name: 'legacy_counts', typeName: 'percpu_array', type: 6, keySize: 4, valueSize: 8, maxEntries: 256, flags: 0, kind: 'legacy' },
      { name: 'legacy_hash', typeName: 'hash', type: 1, keySize: 8, valueSize: 12, maxEntries: 1000, flags: 1, kind: 'legacy' },
      { name: 'legacy_tx', typeName: 'devmap', type: 14, keySize: 4, valueSize: 4, maxEntries: 64, flags: 0, kind: 'legacy' },
    ]);
    // llvm-objdump -dr: R_BPF_64_64 legacy_counts at insn 5, legacy_hash at 16, legacy_tx at 23.
    expect(spec.programs[0]!.mapRefs).toEqual([
      { index: 5, map: 'legacy_counts', kind: 'fd', offset: 0 },
      { index: 16, map: 'legacy_hash', kind: 'fd', offset: 0 },
      { index: 23, map: 'legacy_tx', kind: 'fd', offset: 0 },
    ]);
  });
});

describe('.kconfig externs', () => {
  it("lays variables out as libbpf does: by alignment, then size, then name", () => {
    // kconfig.libbpf.txt: "extern (kcfg) #0: symbol 15, off 0, name CONFIG_NR_CPUS", #1 CONFIG_HZ off 8,
    // #2 CONFIG_XDP_SOCKETS off 12, #3 LINUX_KERNEL_VERSION off 16, #4 CONFIG_BPF_SYSCALL off 20,
    // #5 CONFIG_DEFAULT_HOSTNAME off 21; map 'kconfig.kconfig' flags 480, value 29 bytes (bpftool).
    const spec = parse('kconfig');
    const k = spec.maps.find((m) => m.kind === 'kconfig')!;
    expect(pick(k)).toEqual({ name: 'kconfig.kconfig', typeName: 'array', type: 2, keySize: 4, valueSize: 29, maxEntries: 1, flags: 0x480 });
    expect(k.readonly).toBe(true);
    expect(k.kconfig!.map((v) => [v.name, v.offset, v.size, v.type, v.signed, v.weak])).toEqual([
      ['CONFIG_NR_CPUS', 0, 8, 'int', false, true],
      ['CONFIG_HZ', 8, 4, 'int', true, true],
      ['CONFIG_XDP_SOCKETS', 12, 4, 'tristate', false, true],
      ['LINUX_KERNEL_VERSION', 16, 4, 'int', false, false],
      ['CONFIG_BPF_SYSCALL', 20, 1, 'bool', false, true],
      ['CONFIG_DEFAULT_HOSTNAME', 21, 8, 'char_array', false, true],
    ]);
    // The .kconfig DATASEC gets the same layout, so btfCodec can show the map.
    const ds = spec.btf!.type(k.valueTypeId!);
    expect(ds.kind === 'datasec' && [ds.size, ds.vars.map((v) => v.offset)]).toEqual([29, [0, 8, 12, 16, 20, 21]]);
  });
});
