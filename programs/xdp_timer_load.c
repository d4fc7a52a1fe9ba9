// Refused: the timer's bytes read directly.
#include "xdp_timer_bad.h"

SEC("xdp")
int xdp_timer_load(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct elem *v = bpf_map_lookup_elem(&tarr, &k);

	if (!v)
		return XDP_PASS;
	return *(__u64 *)&v->t & 1;
}
