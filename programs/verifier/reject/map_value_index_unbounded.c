// Reject: variable index into a map value with no upper bound.
// The index is a u32 from bpf_get_prandom_u32(): non-negative but up to 2^32 - 1, beyond the
// verifier's 1 << 29 limit for variable offsets, so it does not even try to compare with the size.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

ARRAY_MAP(bytes, __u8[64], 1);

SEC("xdp")
int map_value_index_unbounded(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u8 *v = bpf_map_lookup_elem(&bytes, &key);

	if (!v)
		return XDP_PASS;
	return v[bpf_get_prandom_u32()];
}

LICENSE;
