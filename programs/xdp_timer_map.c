// Refused: bpf_timer_init with another map than the one holding the timer.
#include "xdp_timer_bad.h"

SEC("xdp")
int xdp_timer_map(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct elem *v = bpf_map_lookup_elem(&tarr, &k);

	if (!v)
		return XDP_PASS;
	return bpf_timer_init(&v->t, &other, 1);
}
