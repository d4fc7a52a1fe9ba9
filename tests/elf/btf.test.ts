// BTF: the type section (every kind), sizes and alignment, .BTF.ext records, and btfCodec, whose output
// is compared with bpftool's BTF-formatted map dumps (tests/elf/fixtures/*.libbpf.txt: `bpftool -j map
// dump`, which prints a value through the map's BTF).

import { describe, expect, it } from 'vitest';
import { WxdpError } from '../../src/errors.js';
import { Btf, btfCodec, ElfError, parseObject } from '../../src/elf/index.js';
import { parseBtfExt } from '../../src/elf/btf_ext.js';
import { ElfFile } from '../../src/elf/reader.js';
import { BtfBuilder } from './btf_builder.js';
import { fixtureBytes, parseLibbpfLog, readFixture } from './oracle.js';

const spec = (name: string) => parseObject(fixtureBytes(`${name}.o`), { path: `${name}.o` });

describe('Btf.parse', () => {
  const btf = spec('btf_kinds').btf!;

  it('reads every kind clang emits (btf_kinds.btf.txt)', () => {
    expect(btf.type(11)).toMatchObject({ kind: 'struct', name: 'record', size: 48 });
    expect(btf.type(12)).toEqual({ kind: 'decl_tag', id: 12, name: 'kinds:record', type: 11, componentIdx: -1 });
    expect(btf.type(13)).toEqual({ kind: 'float', id: 13, name: 'float', size: 4 });
    expect(btf.type(16)).toEqual({ kind: 'fwd', id: 16, name: 'opaque', union: false });
    expect(btf.type(17)).toEqual({ kind: 'type_tag', id: 17, name: 'user', type: 2 });
    expect(btf.type(20)).toMatchObject({ kind: 'int', name: '_Bool', size: 1, bool: true, signed: false });
    expect(btf.type(24)).toMatchObject({ kind: 'union', size: 2 });
    expect(btf.type(38)).toEqual({ kind: 'restrict', id: 38, name: '', type: 10 });
    expect(btf.type(39)).toEqual({ kind: 'func_proto', id: 39, name: '', returnType: 2, params: [{ name: 'r', type: 38 }] });
    expect(btf.type(40)).toEqual({ kind: 'func', id: 40, name: 'use', type: 39, linkage: 'static' });
    const rec = btf.type(11);
    expect(rec.kind === 'struct' && rec.members.slice(8)).toEqual([
      { name: 'big', type: 30, bitOffset: 336, bitfieldSize: 40 },
      { name: 'small', type: 8, bitOffset: 376, bitfieldSize: 3 },
    ]);
  });

  it('resolves sizes and alignment like libbpf (btf__resolve_size, btf__align_of)', () => {
    expect(btf.resolveSize(11)).toBe(48); // struct record
    expect(btf.resolveSize(29)).toBe(2); // __s8 bytes[2]
    expect(btf.resolveSize(15)).toBe(8); // pointer
    expect(btf.resolveSize(19)).toBe(4); // volatile __u32
    expect(btf.resolveSize(33)).toBe(32); // VAR records → its map definition struct
    expect(() => btf.resolveSize(0)).toThrow(/has no size/);
    expect(() => btf.resolveSize(36)).toThrow(/FUNC_PROTO .* has no size/);
    expect(btf.alignOf(11)).toBe(8);
    expect(btf.alignOf(21)).toBe(1);
    expect(btf.skipModsAndTypedefs(19)).toMatchObject({ kind: 'int', name: 'unsigned int' });
  });

  it('reads ENUM64 (clang 15+), signed and unsigned enums', () => {
    const b = new BtfBuilder();
    b.type(19, 'big_flags', 2, 8, [b.str('LOW'), 1, 0, b.str('HIGH'), 0, 0x80000000]);
    b.type(19, 'deltas', 1, 8, [b.str('MINUS_ONE'), 0xffffffff, 0xffffffff], true);
    b.type(6, 'small', 1, 4, [b.str('NEG'), 0xfffffffe], true);
    const t = Btf.parse(b.build());
    expect(t.type(1)).toEqual({ kind: 'enum64', id: 1, name: 'big_flags', size: 8, signed: false, values: [{ name: 'LOW', value: 1n }, { name: 'HIGH', value: 0x8000000000000000n }] });
    expect(t.type(2)).toMatchObject({ signed: true, values: [{ name: 'MINUS_ONE', value: -1n }] });
    expect(t.type(3)).toMatchObject({ kind: 'enum', signed: true, values: [{ name: 'NEG', value: -2 }] });
    const c = btfCodec(t, 1);
    expect(c.decode(c.encode('HIGH'))).toBe('HIGH');
    expect(Array.from(c.encode('HIGH'))).toEqual([0, 0, 0, 0, 0, 0, 0, 0x80]);
    expect(c.decode(new Uint8Array(8).fill(0xff))).toBe(0xffffffffffffffffn);
    expect(btfCodec(t, 2).decode(new Uint8Array(8).fill(0xff))).toBe('MINUS_ONE');
    expect(btfCodec(t, 3).decode(Uint8Array.of(0xfe, 0xff, 0xff, 0xff))).toBe('NEG');
  });

  it('rejects malformed type sections with BTF_INVALID, naming the offset', () => {
    const bad = (mk: (b: BtfBuilder) => void, re: RegExp, opts?: Parameters<BtfBuilder['build']>[0]) => {
      const b = new BtfBuilder();
      mk(b);
      const e = (() => {
        try {
          Btf.parse(b.build(opts));
        } catch (err) {
          return err;
        }
        return undefined;
      })();
      expect(e).toBeInstanceOf(ElfError);
      expect((e as ElfError).code).toBe('BTF_INVALID');
      expect((e as ElfError).message).toMatch(re);
    };
    bad((b) => b.type(2, '', 0, 5), /type \[1\] refers to type id 5, but there are only 1 types/);
    bad((b) => b.type(25, 'x', 0, 0), /section '.BTF' at byte 0x18 .*type \[1\] has unknown kind 25/);
    bad((b) => b.type(4, 's', 3, 8, [0, 0, 0]), /STRUCT \[1\] members runs past the end of the type section/);
    bad((b) => b.int('i', 4), /bad magic 0x1234/, { magic: 0x1234 });
    bad((b) => b.int('i', 4), /big-endian/, { magic: 0x9feb });
    bad((b) => b.int('i', 4), /unsupported BTF version 2/, { version: 2 });
    bad((b) => b.type(12, 'f', 0, 1, []), /FUNC \[1\] 'f' does not point to a FUNC_PROTO/);
    bad((b) => b.int('i', 4, 0, 40), /INT \[1\]: 40 bits at offset 0 do not fit 4 bytes/);
  });

  it('detects typedef loops instead of recursing forever', () => {
    const b = new BtfBuilder();
    b.type(8, 'a', 0, 2);
    b.type(8, 'b', 0, 1);
    const t = Btf.parse(b.build());
    expect(() => t.resolveSize(1)).toThrow(/chain longer than 32/);
    expect(() => t.skipModsAndTypedefs(1)).toThrow(/loop/);
    expect(() => btfCodec(t, 1)).toThrow(/loop/);
  });
});

describe('.BTF.ext', () => {
  it('reads func_info and line_info per section, insn_off converted to slots', () => {
    const bytes = fixtureBytes('calls.o');
    const elf = ElfFile.parse(bytes);
    const btf = Btf.parse(elf.sectionByName('.BTF')!.data);
    const ext = parseBtfExt(elf.sectionByName('.BTF.ext')!.data, btf);
    // llvm-objdump: .text functions global_len@0, classify@6, bump@16, loop_cb@29; xdp: xdp_first@0, xdp_second@10.
    expect(ext.funcInfo.get('.text')!.map((r) => [r.insn, btf.type(r.typeId).name])).toEqual([
      [0, 'global_len'],
      [6, 'classify'],
      [16, 'bump'],
      [29, 'loop_cb'],
    ]);
    expect(ext.funcInfo.get('xdp')!.map((r) => [r.insn, btf.type(r.typeId).name])).toEqual([
      [0, 'xdp_first'],
      [10, 'xdp_second'],
    ]);
    expect(ext.lineInfo.get('xdp.frags')![0]).toMatchObject({ insn: 0, line: 60, text: 'int xdp_frags_prog(struct xdp_md *ctx)' });
    expect(ext.coreRelos.size).toBe(0);
  });
});

/** bpftool prints bitfields as raw hex and integers wider than a double as bare digits. */
function likeBpftool(v: unknown, bitfields: Record<string, number> = {}): unknown {
  if (typeof v === 'bigint') return v > BigInt(Number.MAX_SAFE_INTEGER) ? v.toString() : Number(v);
  if (Array.isArray(v)) return v.map((x) => likeBpftool(x));
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => {
        const bits = bitfields[k];
        if (bits !== undefined) return [k, '0x' + BigInt.asUintN(bits, BigInt(x as number)).toString(16)];
        return [k, likeBpftool(x)];
      }),
    );
  }
  return v;
}

describe('btfCodec', () => {
  it('decodes struct flow_key / flow_stats as bpftool formats them', () => {
    // btf_maps.libbpf.txt: `bpftool map update … key hex K value hex V` then `bpftool -j map dump`.
    const s = spec('btf_maps');
    const flows = s.maps.find((m) => m.name === 'flows')!;
    const log = parseLibbpfLog(readFixture('btf_maps.libbpf.txt'));
    const [entry] = log.flowsDump as { key: string[]; value: string[]; formatted: { key: unknown; value: unknown } }[];
    const key = Uint8Array.from(entry!.key.map((x) => parseInt(x, 16)));
    const value = Uint8Array.from(entry!.value.map((x) => parseInt(x, 16)));
    const kc = btfCodec(s.btf!, flows.keyTypeId!);
    const vc = btfCodec(s.btf!, flows.valueTypeId!);
    expect(likeBpftool(kc.decode(key))).toEqual(entry!.formatted.key);
    expect(likeBpftool(vc.decode(value), { flag_a: 1, flag_b: 3, level: 4 })).toEqual(entry!.formatted.value);
    // Ours keeps types: u64 → bigint, signed bitfield sign-extended, enum by name, char[] as string.
    expect(vc.decode(value)).toEqual({
      packets: 0x0102030405060708n,
      bytes: 0xfffffffffffffffen,
      delta: -5,
      color: 'BLUE',
      tag: 'eth0',
      flag_a: 1,
      flag_b: 5,
      level: -3,
      ports: [80, 443],
      u: { as_u32: 0x11223344, as_bytes: [0x44, 0x33, 0x22, 0x11] },
    });
    expect(vc.encode(vc.decode(value))).toEqual(value);
    expect(kc.encode(kc.decode(key))).toEqual(key);
  });

  it('decodes global data maps (DATASEC) as bpftool shows them after loading', () => {
    // global_data.libbpf.txt: `bpftool -j map dump` of each data map: {".rodata": [{"cfg": {…}}, …]}.
    const s = spec('global_data');
    const log = parseLibbpfLog(readFixture('global_data.libbpf.txt'));
    for (const km of log.maps.filter((m) => m.dump)) {
      const m = s.maps.find((x) => x.name === km.name)!;
      const [entry] = km.dump as { formatted?: { value: Record<string, Record<string, unknown>[]> } }[];
      if (!entry!.formatted) {
        expect(m.valueTypeId, km.name).toBeUndefined(); // .rodata.str1.1: no BTF, bpftool prints hex only
        continue;
      }
      const [[secName, vars]] = Object.entries(entry!.formatted.value) as [string, Record<string, unknown>[]][];
      expect(secName).toBe(s.btf!.type(m.valueTypeId!).name);
      expect(likeBpftool(btfCodec(s.btf!, m.valueTypeId!).decode(m.data!)), km.name).toEqual(Object.assign({}, ...vars!));
    }
  });

  it('handles floats, bools, pointers, anonymous members and wide bitfields (struct record)', () => {
    const s = spec('btf_kinds');
    const c = btfCodec(s.btf!, s.maps.find((m) => m.name === 'records')!.valueTypeId!);
    expect(c.size).toBe(48);
    const v = {
      ratio: 1.5,
      precise: -2.25,
      handle: 0xffff888812345678n,
      tagged: 0n,
      seq: 7,
      ok: true,
      a: 1,
      b: 2,
      half: 0x0201,
      bytes: [1, 2],
      big: -(1n << 39n),
      small: 5,
    };
    const bytes = c.encode(v);
    expect(c.decode(bytes)).toEqual(v);
    // Anonymous struct {a, b} at byte 37, the union at 40, big:40 at bit 336, small:3 at bit 376 (btf dump).
    expect([bytes[37], bytes[38], bytes[40], bytes[41]]).toEqual([1, 2, 1, 2]);
    expect(Array.from(bytes.subarray(42, 47))).toEqual([0, 0, 0, 0, 0x80]);
    expect(bytes[47]).toBe(5);
    expect(c.decode(c.encode({ small: 7 }))).toMatchObject({ small: 7, big: 0n, ok: false, ratio: 0 });
  });

  it('rejects values that do not fit, with USAGE errors naming the member', () => {
    const s = spec('btf_maps');
    const vc = btfCodec<Record<string, unknown>>(s.btf!, s.maps.find((m) => m.name === 'flows')!.valueTypeId!);
    const usage = (f: () => unknown, re: RegExp) => {
      expect(f).toThrow(WxdpError);
      expect(f).toThrow(re);
    };
    usage(() => vc.encode({ delta: 2 ** 31 }), /value\.delta: 2147483648 does not fit a signed 32-bit integer/);
    usage(() => vc.encode({ flag_b: 8 }), /value\.flag_b: 8 does not fit an unsigned 3-bit integer/);
    usage(() => vc.encode({ tag: 'too long!' }), /value\.tag: string of 9 characters does not fit char\[8\]/);
    usage(() => vc.encode({ color: 'PURPLE' }), /'PURPLE' is not an enumerator of enum color/);
    usage(() => vc.encode({ nope: 1 }), /struct flow_stats has no member 'nope'/);
    usage(() => vc.encode({ ports: [1, 2, 3] }), /value\.ports: 3 elements do not fit \[2\]/);
    usage(() => vc.decode(new Uint8Array(47)), /needs 48 bytes, got 47/);
    expect(vc.decode(vc.encode({ color: 2 })).color).toBe('GREEN');
    expect(vc.decode(vc.encode({ color: -1 })).color).toBe('BLUE');
  });

  it('refuses types without a size', () => {
    const s = spec('calls');
    const f = s.btf!.types.find((t) => t.kind === 'func')!;
    expect(() => btfCodec(s.btf!, f.id)).toThrow(/FUNC '.*' has no size/);
    expect(() => btfCodec(s.btf!, 0)).toThrow(/VOID/);
  });
});
