// Refused: a timer callback returning 1 (bpf_timer callbacks return 0).
#include "xdp_timer_bad.h"

static int cb(void *map, __u32 *key, struct elem *v)
{
	return 1;
}

SEC("xdp")
int xdp_timer_ret(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct elem *v = bpf_map_lookup_elem(&tarr, &k);

	if (!v)
		return XDP_PASS;
	bpf_timer_init(&v->t, &tarr, 1);
	bpf_timer_set_callback(&v->t, cb);
	return XDP_PASS;
}
