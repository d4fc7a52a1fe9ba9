// Reject: variable index masked, but with a mask wider than the value.
// `i & 127` bounds the index to 0..127 while the value has 64 bytes: the maximum offset is outside
// the value.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

ARRAY_MAP(bytes, __u8[64], 1);

SEC("xdp")
int map_value_index_mask_too_wide(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u8 *v = bpf_map_lookup_elem(&bytes, &key);

	if (!v)
		return XDP_PASS;
	return v[bpf_get_prandom_u32() & 127];
}

LICENSE;
