// Refused: a timer on the stack.
#include "xdp_timer_bad.h"

SEC("xdp")
int xdp_timer_stack(struct xdp_md *ctx)
{
	struct bpf_timer t = {};

	return bpf_timer_cancel(&t);
}
