// Reject: constant offset past the end of a map value.
// The value is 8 bytes; a u64 load at offset 8 (the second element of a one-element array) reads
// value bytes 8..15.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

ARRAY_MAP(counters, __u64, 4);

SEC("xdp")
int map_value_const_off_oob(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&counters, &key);

	if (!v)
		return XDP_PASS;
	return *(volatile __u64 *)(v + 1) ? XDP_DROP : XDP_PASS;
}

LICENSE;
