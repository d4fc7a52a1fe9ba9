// The walk a load through bpf_xdp_flow_lookup's struct pointer gets (src/verifier/btf_access.ts): the
// kernel's btf_struct_walk rules and words, over wxdp's layout of struct flow_offload_tuple_rhash
// (src/elf/core.ts WXDP_BTF: the tuple at +0, src_v4 at +4, ports at +12/+14, iifidx +16, l4proto +20,
// the dir/xmit_type bitfield byte +22, mtu +28; an IPv6 record's src_v6/dst_v6 at +256/+272, the struct 288 bytes).

import { describe, expect, it } from 'vitest';
import { btfStructRead } from '../../src/verifier/btf_access.js';

const read = (off: number, size: number): string | null => btfStructRead('flow_offload_tuple_rhash', off, size);

describe('btf_struct_walk over wxdp\'s flow_offload_tuple_rhash', () => {
  it('reads a field whole, part of a scalar field, an IPv6 address, a bitfield\'s byte', () => {
    expect(read(12, 2)).toBeNull();
    expect(read(16, 4)).toBeNull();
    expect(read(16, 1)).toBeNull();
    expect(read(4, 4)).toBeNull();
    expect(read(256, 16)).toBeNull();
    expect(read(272, 8)).toBeNull();
    expect(read(22, 1)).toBeNull();
  });
  it('refuses a hole, the end of a member crossed, and past the struct, in the kernel\'s words', () => {
    expect(read(0, 4)).toBe("struct flow_offload_tuple doesn't have field at offset 0");
    expect(read(28, 4)).toBe('access beyond the end of member mtu (mend:30) in struct flow_offload_tuple with off 28 size 4');
    expect(read(4, 16)).toBe('access beyond the end of member src_v4 (mend:8) in struct flow_offload_tuple with off 4 size 16');
    expect(read(126, 4)).toBe("struct flow_offload_tuple doesn't have field at offset 126");
    expect(read(286, 4)).toBe('access beyond struct flow_offload_tuple_rhash at off 286 size 4');
  });
});
