// Reject: map value dereferenced without a null check.
// bpf_map_lookup_elem() on a hash map returns map_value_or_null; it becomes a map value only on
// the branch where it was compared with 0. (Since 6.x an ARRAY lookup with a constant in-range
// key is known non-null: see accept/array_lookup_const_key_no_null_check.c.)
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

HASH_MAP(counters, __u64, 16);

SEC("xdp")
int map_value_no_null_check(struct xdp_md *ctx)
{
	__u32 key = ctx->rx_queue_index;
	__u64 *v = bpf_map_lookup_elem(&counters, &key);

	return *v ? XDP_DROP : XDP_PASS;
}

LICENSE;
