// Accept: a map value indexed by an unsigned variable after `if (i >= size)`.
// The unsigned comparison gives the index an upper bound and it is non-negative by construction.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

struct table {
	__u32 slot[16];
};

ARRAY_MAP(tables, struct table, 1);

SEC("xdp")
int map_index_checked(struct xdp_md *ctx)
{
	__u32 key = 0, i = ctx->rx_queue_index;
	struct table *t = bpf_map_lookup_elem(&tables, &key);

	if (!t || i >= 16)
		return XDP_PASS;
	t->slot[i]++;
	return XDP_PASS;
}

LICENSE;
