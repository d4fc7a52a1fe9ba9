// Refused: the timer helpers given a pointer 8 bytes into the value, not at its struct bpf_timer.
#include "xdp_timer_bad.h"

SEC("xdp")
int xdp_timer_off(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct elem *v = bpf_map_lookup_elem(&tarr, &k);

	if (!v)
		return XDP_PASS;
	return bpf_timer_init((struct bpf_timer *)&v->n, &tarr, 1);
}
