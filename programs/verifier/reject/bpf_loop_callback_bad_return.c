// Reject: bpf_loop() callback returning a value outside [0, 1].
// The callback's return value means continue (0) or stop (1); the verifier checks its range at the
// callback's exit.
// Subprograms: libbpf appends step() after the entry program.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

static int step(__u32 index, void *data)
{
	*(__u32 *)data += index;
	return 2;
}

SEC("xdp")
int bpf_loop_callback_bad_return(struct xdp_md *ctx)
{
	__u32 sum = 0;

	bpf_loop(8, step, &sum, 0);
	return sum == 28 ? XDP_PASS : XDP_DROP;
}

LICENSE;
