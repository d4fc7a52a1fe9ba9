// Loads through a PTR_TO_BTF_ID a kfunc returned (bpf_xdp_flow_lookup's struct flow_offload_tuple_rhash *,
// KF_RET_NULL, trusted): the kernel's check_ptr_to_btf_access → btf_struct_access → btf_struct_walk over
// the struct's BTF, read only (a write: "only read is supported"; XDP's btf_struct_access callback knows
// nf_conn only), the load becoming BPF_PROBE_MEM. wxdp's BTF for these structs is its own records' layout
// (src/elf/core.ts WXDP_BTF): a program reaches a field through a CO-RE relocation, so the offsets walked
// here are wxdp's, and the refusals are btf_struct_walk's words over them:
//   off + size past the struct          "access beyond struct %s at off %u size %u"
//   off in no member (a hole)           "struct %s doesn't have field at offset %d"
//   past the end of a scalar member     "access beyond the end of member %s (mend:%u) in struct %s with off %u size %u"
// A read inside one scalar member (narrower than it included) or covering a bitfield's bytes is a scalar.
// A pointer member (WxdpField.ptr: bpf_cast_to_kern_ctx's struct xdp_buff) is read whole or not at all
// ("cannot access ptr member"), and is a pointer: to its struct (PTR_TO_BTF_ID | PTR_UNTRUSTED) or, for
// `void *`, rdonly_untrusted_mem.

import { WXDP_BTF, type WxdpField } from '../elf/core.js';

/**
 * null when a `size`-byte read at `off` of struct `name` is allowed (a scalar), `{ ptr }` when it reads a
 * pointer member (its struct's name, or 'void'), else the kernel's message.
 */
export function btfStructRead(name: string, off: number, size: number): string | null | { ptr: string } {
  let tname = name;
  for (let depth = 0; depth < 8; depth++) {
    const s = WXDP_BTF[tname];
    if (!s) return `struct ${tname} doesn't have field at offset ${off}`;
    const bound = s.extent ?? s.size;
    if (bound !== undefined && off + size > bound) return `access beyond struct ${tname} at off ${off} size ${size}`;
    // members holding `off` (a union's several): the first the read fits in, else the first one's refusal
    // a member that is one struct reaches as far as that struct's extent (an IPv6 record's addresses)
    const span = (m: WxdpField): number => (m.struct && m.count === undefined ? WXDP_BTF[m.struct]?.extent ?? m.size : m.size);
    const members = Object.entries(s.fields)
      .filter(([, m]) => off >= m.offset && off < m.offset + span(m))
      .sort((a, b) => a[1].offset - b[1].offset);
    let next: { name: string; off: number } | undefined;
    let refusal: string | undefined;
    for (const [mname, m] of members) {
      if (m.ptr !== undefined) {
        if (m.size !== size || m.offset !== off) return `cannot access ptr member ${mname} with moff ${m.offset} in struct ${tname} with off ${off} size ${size}`;
        return { ptr: m.ptr };
      }
      if (off + size > m.offset + span(m) && m.bits === undefined) {
        refusal ??= `access beyond the end of member ${mname} (mend:${m.offset + span(m)}) in struct ${tname} with off ${off} size ${size}`;
        continue;
      }
      // a bitfield: the read must cover its bytes (BITS_ROUNDUP_BYTES of its end)
      if (m.bits !== undefined) {
        if (off <= m.offset && m.offset + m.size <= off + size) return null;
        continue;
      }
      if (!m.struct) return null;
      const elem = m.count ? m.size / m.count : span(m);
      const inner = (off - m.offset) % elem;
      if (inner + size > elem) {
        refusal ??= `access beyond the end of member ${mname} (mend:${m.offset + span(m)}) in struct ${tname} with off ${off} size ${size}`;
        continue;
      }
      next = { name: m.struct, off: inner };
      break;
    }
    if (!next && refusal) return refusal;
    if (!next) return `struct ${tname} doesn't have field at offset ${off}`;
    tname = next.name;
    off = next.off;
  }
  return `struct ${tname} doesn't have field at offset ${off}`;
}
