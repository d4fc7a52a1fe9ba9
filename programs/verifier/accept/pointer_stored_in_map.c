// Accept: a packet pointer stored into a map value.
// For unprivileged programs that is an address leak ("leaks addr into map"); root (CAP_PERFMON)
// may leak pointers, and the value is just 8 bytes of data to whoever reads the map.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

ARRAY_MAP(slots, __u64, 1);

SEC("xdp")
int pointer_stored_in_map(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&slots, &key);

	if (!v)
		return XDP_PASS;
	*v = ctx->data;
	return XDP_PASS;
}

LICENSE;
