// Refused: a timer in a value whose BTF has no struct bpf_timer.
#include "xdp_timer_bad.h"

SEC("xdp")
int xdp_timer_none(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&plain, &k);

	if (!v)
		return XDP_PASS;
	return bpf_timer_cancel((struct bpf_timer *)v);
}
