// CO-RE field relocations against wxdp's own BTF: the structs tp_btf programs reach through their
// tracepoint arguments (src/control/tracepoints.ts describes their layout over wxdp's records).
//
//   local type   the struct the program was compiled against (its own BTF: vmlinux.h, or a
//                preserve_access_index declaration), found by name in WXDP_BTF
//   access "0:N" member N of the local struct, matched to wxdp's field of the same name
//   kind         FIELD_BYTE_OFFSET (0): the load/store offset or the immediate becomes wxdp's offset;
//                FIELD_BYTE_SIZE (1): wxdp's size; FIELD_EXISTS (2): 1 or 0
//
// A field wxdp does not have is libbpf's failed relocation, poisoned so that a program that reaches it
// is refused by the verifier and one that does not (a bpf_core_field_exists guard) loads. libbpf
// poisons with a call to helper 0xbad2310; wxdp's static check refuses unknown helpers even in dead
// code, so the access is pointed past the end of any struct instead (offset 0x7fff / 0x7fffffff): the
// verifier refuses it when reached, as a read beyond the struct. Relocations on types wxdp does not
// describe keep the compiled offsets, as before.

import type { Btf } from './btf.js';
import type { CoreRelo } from './btf_ext.js';
import type { Insn } from '../isa/index.js';

/** wxdp's BTF for tracepoint arguments: struct name → field name → byte offset and size. */
export const WXDP_BTF: Readonly<Record<string, Readonly<Record<string, { offset: number; size: number }>>>> = {
  // the device record: assembly/abi.ts DEV_IFINDEX
  net_device: { ifindex: { offset: 0, size: 4 } },
  bpf_prog: {},
  // assembly/tracepoints.ts: the event's own structs, laid out as the kernel's
  xdp_cpumap_stats: { redirect: { offset: 0, size: 4 }, pass: { offset: 4, size: 4 }, drop: { offset: 8, size: 4 } },
  xdp_mem_info: { type: { offset: 0, size: 4 }, id: { offset: 4, size: 4 } },
  xdp_mem_allocator: { mem: { offset: 0, size: 8 }, allocator: { offset: 8, size: 8 }, page_pool: { offset: 8, size: 8 } },
  xdp_rxq_info: {
    dev: { offset: 0, size: 8 },
    queue_index: { offset: 8, size: 4 },
    reg_state: { offset: 12, size: 4 },
    mem: { offset: 16, size: 8 },
    frag_size: { offset: 24, size: 4 },
  },
};

const FIELD_BYTE_OFFSET = 0;
const FIELD_BYTE_SIZE = 1;
const FIELD_EXISTS = 2;
/** Where a poisoned field access points: past every struct of WXDP_BTF. */
export const CORE_POISON_OFF = 0x7fff;

/** The struct a relocation starts from, through typedefs and qualifiers. */
function rootStruct(btf: Btf, id: number): { name: string; members: { name: string }[] } | undefined {
  for (let n = 0; n < 16 && id < btf.count; n++) {
    const t = btf.type(id);
    if (t.kind === 'struct' || t.kind === 'union') return t;
    if (t.kind === 'typedef' || t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict' || t.kind === 'type_tag') id = t.type;
    else return undefined;
  }
  return undefined;
}

/**
 * The field a member path ("0:1:0" → [1, 0]: member 1, then its member 0) reaches in wxdp's BTF, with
 * the offsets of the structs it passes through added up; undefined when wxdp lacks any step.
 */
function fieldAt(
  btf: Btf,
  local: { members: { name: string; type?: number }[] },
  target: Readonly<Record<string, { offset: number; size: number }>>,
  path: number[],
): { offset: number; size: number } | undefined {
  let lt: { members: { name: string; type?: number }[] } | undefined = local;
  let tg: Readonly<Record<string, { offset: number; size: number }>> | undefined = target;
  let offset = 0;
  let field: { offset: number; size: number } | undefined;
  for (let k = 0; k < path.length; k++) {
    const m: { name: string; type?: number } | undefined = lt?.members[path[k]!];
    const f = m && tg ? tg[m.name] : undefined;
    if (!m || !f) return undefined;
    offset += f.offset;
    field = { offset, size: f.size };
    if (k + 1 < path.length) {
      const sub: { name: string; members: { name: string; type?: number }[] } | undefined = m.type === undefined ? undefined : rootStruct(btf, m.type);
      lt = sub;
      tg = sub ? WXDP_BTF[sub.name] : undefined;
    }
  }
  return field;
}

/** Apply the relocations `recs` (instruction slots already the program's) to `insns`. */
export function applyCoreRelos(btf: Btf, insns: Insn[], recs: readonly CoreRelo[]): void {
  for (const r of recs) {
    if (r.kind > FIELD_EXISTS) continue;
    const local = rootStruct(btf, r.typeId);
    const target = local ? WXDP_BTF[local.name] : undefined;
    if (!local || !target) continue;
    const ins = insns[r.insn];
    if (!ins) continue;
    const path = r.access.split(':').map(Number);
    const field = path[0] === 0 && path.length >= 2 ? fieldAt(btf, local, target, path.slice(1)) : undefined;
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
    const value = r.kind === FIELD_BYTE_SIZE ? field.size : field.offset;
    // LDX / ST / STX carry the offset in `off`; ALU / ALU64 (add, mov) in the immediate.
    if (r.kind === FIELD_BYTE_OFFSET && (cls === 1 || cls === 2 || cls === 3)) ins.off = value;
    else ins.imm = value;
  }
}
