// CO-RE relocations against wxdp's own BTF: the structs programs reach through pointers wxdp hands
// them (tp_btf tracepoint arguments, src/control/tracepoints.ts; the flowtable entry bpf_xdp_flow_lookup
// returns, assembly/net/nf_flow_table.ts), described over wxdp's records.
//
//   local type   the struct the program was compiled against (its own BTF: vmlinux.h, or a
//                preserve_access_index declaration), found by name in WXDP_BTF
//   access "0:a:b…" as libbpf's: the first index steps over the root pointer, then a member index per
//                struct or union and an element index per array; anonymous members (the kernel's unions
//                of src_v4 / src_v6, of ports) are transparent: their named fields are the enclosing
//                struct's in WXDP_BTF
//   kind         FIELD_BYTE_OFFSET (0): the load/store offset or the immediate becomes wxdp's offset;
//                FIELD_BYTE_SIZE (1): wxdp's size; FIELD_EXISTS (2): 1 or 0; FIELD_SIGNED (3);
//                FIELD_LSHIFT_U64 / FIELD_RSHIFT_U64 (4, 5) for bitfields (bpf_core_calc_field_relo,
//                little-endian); TYPE_ID_TARGET (7: bpf_core_type_id_kernel), TYPE_EXISTS (8) and TYPE_SIZE (9)
//                of a struct WXDP_BTF describes
//
// wxdp has no vmlinux BTF: WXDP_BTF is the subset of the kernel's types wxdp models, each struct given a
// type id of its own (WXDP_BTF_TYPE_IDS: 1000 + its place in WXDP_BTF, so new structs go at the end), what
// bpf_core_type_id_kernel(struct x) resolves to and bpf_rdonly_cast takes. A pointer member (`ptr`) is
// read as the kernel's btf_struct_walk reads it: a pointer to that struct, or (void *) untrusted memory;
// wxdp keeps pointers as 4-byte wasm addresses where its records already hold them (the ctx's data,
// data_end…), and a pointer load of the program's 8 bytes is narrowed to them, as libbpf narrows an
// integer member the target declares smaller.
//
// A field wxdp does not have is libbpf's failed relocation, poisoned so that a program that reaches it
// is refused by the verifier and one that does not (a bpf_core_field_exists guard) loads. libbpf
// poisons with a call to helper 0xbad2310; wxdp's static check refuses unknown helpers even in dead
// code, so the access is pointed past the end of any struct instead (offset 0x7fff / 0x7fffffff): the
// verifier refuses it when reached, as a read beyond the struct. Relocations on types wxdp does not
// describe keep the compiled offsets, as before.
//
// What that keeps from the kernel's answers (libbpf against 6.18.44's vmlinux BTF, 12-07): a type, field or
// enumerator vmlinux lacks is 0 for TYPE_EXISTS / FIELD_EXISTS / ENUMVAL_EXISTS and wxdp's is the
// compiled 1 (bpf_core_type_exists(struct made_up), bpf_core_enum_value_exists(enum bpf_func_id___x,
// BPF_FUNC_made_up___x)); a flavour laid out unlike vmlinux (struct iphdr___shuf { __be32 daddr; __u8 ttl; })
// gets vmlinux's offsets and size there (16, 8, 20) and its own here (0, 4, 8). UAPI structs read as
// declared agree. Closing it takes a kernel BTF of wxdp's own to resolve against (at least the UAPI
// network structs and enum bpf_func_id / xdp_action).

import type { Btf, BtfType } from './btf.js';
import type { CoreRelo } from './btf_ext.js';
import type { Insn } from '../isa/index.js';

/** A field of a struct wxdp describes: bytes at `offset`; a nested struct / array of them; a bitfield. */
export interface WxdpField {
  offset: number;
  size: number;
  /** The WXDP_BTF struct the field is (or, with `count`, an array of). */
  struct?: string;
  count?: number;
  /** A bitfield: `bits` bits from bit `bitOffset` of the `size` bytes at `offset` (little-endian). */
  bitOffset?: number;
  bits?: number;
  /** A pointer member: to the WXDP_BTF struct named, or 'void' (a load gives rdonly_untrusted_mem). */
  ptr?: string;
}
export interface WxdpStruct {
  /** TYPE_SIZE's answer (absent: the struct has no size of its own to give). */
  size?: number;
  /** How far a load through a pointer to it may reach when that is past `size` (the verifier's walk,
   *  src/verifier/btf_access.ts): an IPv6 direction record's addresses lie past the 128 bytes. */
  extent?: number;
  fields: Readonly<Record<string, WxdpField>>;
}

// The flowtable's records (assembly/net/nf_flow_table.ts FD_* / FLOW_*: checked by tests/nf/xdp_flowtable_core.test.ts):
// a direction record is struct flow_offload_tuple_rhash with its tuple at +0 (FD_SIZE bytes, REPLY's at
// +FD_SIZE), a flow is struct flow_offload with tuplehash[2] at +0 and flags (NF_FLOW_*) at FLOW_FLAGS.
const FD_SADDR = 4;
const FD_DADDR = 8;
const FD_SPORT = 12;
const FD_DPORT = 14;
const FD_IIF = 16;
const FD_PROTO = 20;
const FD_BITS = 22;
const FD_MTU = 28;
const FD_SIZE = 128;
const FLOW_FLAGS = 88;
const FD6_SADDR = 256;
const FD6_DADDR = 272;

// The conntrack entry's words (assembly/net/nf_conntrack.ts CT_*; the tuple CT_TUPLE_SIZE bytes).
const CT_TUPLE_SIZE = 40;
/** CT_TIMEOUT_JIFFIES: nf_conn.timeout, u32 jiffies (absolute once confirmed) of the stack clock. */
const CT_TIMEOUT_JIFFIES = 244;
const NF_CONN: WxdpStruct = {
  size: 256,
  fields: { status: { offset: 8, size: 4 }, timeout: { offset: CT_TIMEOUT_JIFFIES, size: 4 }, tuplehash: { offset: 24, size: 2 * CT_TUPLE_SIZE, struct: 'nf_conntrack_tuple_hash', count: 2 }, mark: { offset: 108, size: 4 } },
};
/** A member of union nf_conntrack_man_proto: its u16 (port, ICMP id, GRE key) at +0. */
const NF_PORT: WxdpField = { offset: 0, size: 2, struct: 'nf_ct_port' };

/** wxdp's BTF: struct name → its fields over wxdp's records. */
export const WXDP_BTF: Readonly<Record<string, WxdpStruct>> = {
  // the ctx as the kernel's struct xdp_buff (bpf_cast_to_kern_ctx, bpf_rdonly_cast): xdp_md's words where it
  // has them (data, data_end, data_meta: u32 wasm addresses; data_hard_start at CTX_HARD_START), the rest
  // past CTX_SIZE, filled by those kfuncs (assembly/abi.ts CTX_KERN_*): rxq points to an xdp_rxq_info
  // record whose dev points to a net_device record (the ingress ifindex, the device's MTU). No txq: an
  // XDP program's rx buffer has none (NULL), and a CO-RE read of it fails here.
  xdp_buff: {
    size: 56,
    extent: 80,
    fields: {
      data: { offset: 0, size: 4, ptr: 'void' },
      data_end: { offset: 4, size: 4, ptr: 'void' },
      data_meta: { offset: 8, size: 4, ptr: 'void' },
      data_hard_start: { offset: 32, size: 4, ptr: 'void' },
      frame_sz: { offset: 64, size: 4 },
      flags: { offset: 68, size: 4 },
      rxq: { offset: 72, size: 8, ptr: 'xdp_rxq_info' },
    },
  },
  // the device record: assembly/abi.ts DEV_IFINDEX, DEV_MTU (the L3 MTU, the kernel's `unsigned int mtu`:
  // bpf_core_field_exists(dev->mtu) is 1 on Linux, and a program's walk goes where it guards, as there)
  net_device: { fields: { ifindex: { offset: 0, size: 4 }, mtu: { offset: 4, size: 4 } } },
  bpf_prog: { fields: {} },
  flow_offload: { size: 2 * FD_SIZE, fields: { tuplehash: { offset: 0, size: 2 * FD_SIZE, struct: 'flow_offload_tuple_rhash', count: 2 }, flags: { offset: FLOW_FLAGS, size: 8 } } },
  flow_offload_tuple_rhash: { size: FD_SIZE, extent: FD6_DADDR + 16, fields: { tuple: { offset: 0, size: FD_SIZE, struct: 'flow_offload_tuple' } } },
  flow_offload_tuple: {
    extent: FD6_DADDR + 16,
    fields: {
      src_v4: { offset: FD_SADDR, size: 4, struct: 'in_addr' },
      dst_v4: { offset: FD_DADDR, size: 4, struct: 'in_addr' },
      // the IPv6 union members: an IPv6 flow's direction record keeps its addresses FD6_* bytes in
      // (past the record: a program reads them only for an IPv6 hit)
      src_v6: { offset: FD6_SADDR, size: 16 },
      dst_v6: { offset: FD6_DADDR, size: 16 },
      src_port: { offset: FD_SPORT, size: 2 },
      dst_port: { offset: FD_DPORT, size: 2 },
      iifidx: { offset: FD_IIF, size: 4 },
      l4proto: { offset: FD_PROTO, size: 1 },
      dir: { offset: FD_BITS, size: 1, bitOffset: 0, bits: 2 },
      xmit_type: { offset: FD_BITS, size: 1, bitOffset: 2, bits: 3 },
      mtu: { offset: FD_MTU, size: 2 },
    },
  },
  in_addr: { size: 4, fields: { s_addr: { offset: 0, size: 4 } } },
  // a conntrack entry (assembly/net/nf_conntrack.ts CT_*) as bpf_xdp_ct_lookup returns it: the kernel's
  // `unsigned long status` is the entry's u32 IPS_* word (a program's 8-byte load of it is narrowed, as
  // libbpf narrows a load of a field the target declares smaller), `mark` its u32, tuplehash[2] the two
  // tuples (CT_TUPLE_ORIG, CT_TUPLE_REPLY: no hash node before each); bpf_xdp_ct_alloc's nf_conn___init
  // is the same entry (the kernel's wraps an nf_conn as its first member)
  nf_conn: NF_CONN,
  nf_conn___init: NF_CONN,
  nf_conntrack_tuple_hash: { size: CT_TUPLE_SIZE, fields: { tuple: { offset: 0, size: CT_TUPLE_SIZE, struct: 'nf_conntrack_tuple' } } },
  // wxdp's tuple (nf_conntrack.ts): src address +0, dst address +16, src port +32, dst port +34, l4proto
  // +36; the kernel's src and dst halves (struct nf_conntrack_man and its anonymous dst struct) both
  // span it here
  nf_conntrack_tuple: {
    size: CT_TUPLE_SIZE,
    fields: { src: { offset: 0, size: CT_TUPLE_SIZE, struct: 'nf_conntrack_man' }, dst: { offset: 0, size: CT_TUPLE_SIZE, struct: 'nf_conntrack_tuple_dst' } },
  },
  nf_conntrack_man: {
    size: CT_TUPLE_SIZE,
    // `bytes`: a load's walk (btf_access.ts) enters `src`, the first member, at any offset of the tuple:
    // the dst half's bytes are readable through it too
    fields: { u3: { offset: 0, size: 16, struct: 'nf_inet_addr' }, u: { offset: 32, size: 2, struct: 'nf_conntrack_man_proto' }, bytes: { offset: 0, size: CT_TUPLE_SIZE } },
  },
  nf_conntrack_tuple_dst: {
    size: CT_TUPLE_SIZE,
    fields: { u3: { offset: 16, size: 16, struct: 'nf_inet_addr' }, u: { offset: 34, size: 2, struct: 'nf_conntrack_man_proto' }, protonum: { offset: 36, size: 1 } },
  },
  nf_inet_addr: { size: 16, fields: { all: { offset: 0, size: 16, count: 4 }, ip: { offset: 0, size: 4 }, ip6: { offset: 0, size: 16, count: 4 }, in: { offset: 0, size: 4, struct: 'in_addr' }, in6: { offset: 0, size: 16 } } },
  // the union of ports / ICMP id: every member's first (only) u16 is the port
  nf_conntrack_man_proto: { size: 2, fields: { all: { offset: 0, size: 2 }, tcp: NF_PORT, udp: NF_PORT, icmp: NF_PORT, dccp: NF_PORT, sctp: NF_PORT, gre: NF_PORT } },
  nf_ct_port: { size: 2, fields: { port: { offset: 0, size: 2 }, id: { offset: 0, size: 2 }, key: { offset: 0, size: 2 } } },
  // the XDP tracepoints' own structs (assembly/tracepoints.ts), laid out as the kernel's
  xdp_cpumap_stats: { size: 12, fields: { redirect: { offset: 0, size: 4 }, pass: { offset: 4, size: 4 }, drop: { offset: 8, size: 4 } } },
  xdp_mem_info: { size: 8, fields: { type: { offset: 0, size: 4 }, id: { offset: 4, size: 4 } } },
  xdp_mem_allocator: {
    fields: { mem: { offset: 0, size: 8, struct: 'xdp_mem_info' }, allocator: { offset: 8, size: 8 }, page_pool: { offset: 8, size: 8 } },
  },
  xdp_rxq_info: {
    fields: {
      dev: { offset: 0, size: 8, ptr: 'net_device' },
      queue_index: { offset: 8, size: 4 },
      reg_state: { offset: 12, size: 4 },
      mem: { offset: 16, size: 8, struct: 'xdp_mem_info' },
      frag_size: { offset: 24, size: 4 },
    },
  },
};

/** The type ids of wxdp's BTF (what bpf_core_type_id_kernel resolves to): 1000 + the struct's place in WXDP_BTF. */
export const WXDP_BTF_TYPE_IDS: Readonly<Record<string, number>> = Object.fromEntries(Object.keys(WXDP_BTF).map((n, i) => [n, 1000 + i]));
/** The struct of a WXDP_BTF_TYPE_IDS id. */
export const wxdpBtfTypeName = (id: number): string | undefined => Object.keys(WXDP_BTF)[id - 1000];

const FIELD_BYTE_OFFSET = 0;
const FIELD_BYTE_SIZE = 1;
const FIELD_EXISTS = 2;
/** Where a poisoned field access points: past every struct of WXDP_BTF. */
export const CORE_POISON_OFF = 0x7fff;

/** BPF_W, BPF_H, BPF_B, BPF_DW by access size in bytes. */
const MEM_SIZE_CODE: Readonly<Record<number, number>> = { 4: 0x00, 2: 0x08, 1: 0x10, 8: 0x18 };
const FIELD_SIGNED = 3;
const FIELD_LSHIFT_U64 = 4;
const FIELD_RSHIFT_U64 = 5;
const TYPE_ID_TARGET = 7;
const TYPE_EXISTS = 8;
const TYPE_SIZE = 9;

/** A type through typedefs and qualifiers. */
function strip(btf: Btf, id: number): BtfType | undefined {
  for (let n = 0; n < 16 && id < btf.count; n++) {
    const t = btf.type(id);
    if (t.kind === 'typedef' || t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict' || t.kind === 'type_tag') id = t.type;
    else return t;
  }
  return undefined;
}

/** What a field relocation resolves to in wxdp's records: byte offset from the root, size, bitfield. */
interface Resolved {
  offset: number;
  size: number;
  /** The size of the field in the program's own BTF (an int or enum), when it has one. */
  localSize?: number;
  bitOffset?: number;
  bits?: number;
}

/**
 * The access path `path` from local struct `root` (described as `target`) to wxdp's field: undefined when
 * wxdp has no such field (a failed relocation).
 */
function resolveField(btf: Btf, root: BtfType, target: WxdpStruct, path: readonly number[]): Resolved | undefined {
  let local: BtfType | undefined = root;
  let struct: WxdpStruct | undefined = target;
  let offset = (path[0] ?? 0) * (target.size ?? 0);
  let field: WxdpField | undefined;
  for (let i = 1; i < path.length; i++) {
    const idx = path[i]!;
    if (!local) return undefined;
    if (local.kind === 'array') {
      // an element of the array field just resolved
      if (!field || !field.count) return undefined;
      const elem = field.size / field.count;
      if (idx >= field.count) return undefined;
      offset += idx * elem;
      field = { offset: 0, size: elem, ...(field.struct ? { struct: field.struct } : {}) };
      struct = field.struct ? WXDP_BTF[field.struct] : undefined;
      local = strip(btf, local.type);
      continue;
    }
    if ((local.kind !== 'struct' && local.kind !== 'union') || !struct) return undefined;
    const m = local.members[idx];
    if (!m) return undefined;
    if (m.name === '') {
      // anonymous: its members are the enclosing struct's
      local = strip(btf, m.type);
      continue;
    }
    const f: WxdpField | undefined = struct.fields[m.name];
    if (!f) return undefined;
    offset += f.offset;
    field = f;
    local = strip(btf, m.type);
    struct = f.struct && !f.count ? WXDP_BTF[f.struct] : undefined;
  }
  if (!field) return { offset, size: target.size ?? 0 };
  const localSize = local && (local.kind === 'int' || local.kind === 'enum' || local.kind === 'enum64') ? local.size : local?.kind === 'ptr' ? 8 : undefined;
  return {
    offset,
    size: field.size,
    ...(localSize !== undefined ? { localSize } : {}),
    ...(field.bits !== undefined ? { bitOffset: field.bitOffset ?? 0, bits: field.bits } : {}),
  };
}

/** bpf_core_calc_field_relo's answer for `kind` (little-endian). */
function fieldValue(kind: number, f: Resolved): number {
  if (f.bits === undefined) {
    if (kind === FIELD_BYTE_OFFSET) return f.offset;
    if (kind === FIELD_BYTE_SIZE) return f.size;
    if (kind === FIELD_SIGNED) return 0;
    if (kind === FIELD_LSHIFT_U64) return 64 - f.size * 8;
    return 64 - f.size * 8; // FIELD_RSHIFT_U64
  }
  const bitOff = f.offset * 8 + (f.bitOffset ?? 0);
  let byteSz = f.size;
  let byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
  while (bitOff + f.bits - byteOff * 8 > byteSz * 8 && byteSz < 8) {
    byteSz *= 2;
    byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
  }
  if (kind === FIELD_BYTE_OFFSET) return byteOff;
  if (kind === FIELD_BYTE_SIZE) return byteSz;
  if (kind === FIELD_SIGNED) return 0;
  if (kind === FIELD_LSHIFT_U64) return 64 - (bitOff + f.bits - byteOff * 8);
  return 64 - f.bits;
}

/** Apply the relocations `recs` (instruction slots already the program's) to `insns`. */
export function applyCoreRelos(btf: Btf, insns: Insn[], recs: readonly CoreRelo[]): void {
  for (const r of recs) {
    const root = strip(btf, r.typeId);
    if (!root || (root.kind !== 'struct' && root.kind !== 'union')) continue;
    const target = WXDP_BTF[root.name];
    const ins = insns[r.insn];
    if (!target || !ins) continue;
    if (r.kind === TYPE_ID_TARGET || r.kind === TYPE_EXISTS || r.kind === TYPE_SIZE) {
      if (r.kind === TYPE_ID_TARGET) {
        ins.imm = WXDP_BTF_TYPE_IDS[root.name]!;
        // (a ld_imm64 carries its value whole in imm64)
        if (ins.imm64 !== undefined) ins.imm64 = BigInt(ins.imm);
      }
      else if (r.kind === TYPE_EXISTS) ins.imm = 1;
      else if (target.size !== undefined) ins.imm = target.size;
      continue;
    }
    if (r.kind > FIELD_RSHIFT_U64) continue;
    const field = resolveField(btf, root, target, r.access.split(':').map(Number));
    if (r.kind === FIELD_EXISTS) {
      ins.imm = field ? 1 : 0;
      continue;
    }
    const cls = ins.code & 7;
    if (!field) {
      if (cls === 1 || cls === 2 || cls === 3) ins.off = CORE_POISON_OFF;
      else ins.imm = 0x7fffffff;
      continue;
    }
    const value = fieldValue(r.kind, field);
    // LDX / ST / STX carry the offset in `off`; ALU / ALU64 (add, mov) in the immediate.
    if (r.kind === FIELD_BYTE_OFFSET && (cls === 1 || cls === 2 || cls === 3)) {
      ins.off = value;
      // bpf_core_patch_insn: a memory access of the local field's size takes the target field's size
      const bytes = [4, 2, 1, 8][(ins.code >> 3) & 3]!;
      if (field.bits === undefined && field.localSize === bytes && field.size !== bytes && MEM_SIZE_CODE[field.size] !== undefined) {
        ins.code = (ins.code & ~0x18) | MEM_SIZE_CODE[field.size]!;
      }
    } else ins.imm = value;
  }
}
