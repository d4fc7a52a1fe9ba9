// Accept: bpf_get_current_pid_tgid() called from XDP.
// Once reserved for tracing programs, it is in the base helper set of recent kernels and offered
// to every program type; in XDP it reports whatever task the softirq interrupted.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
int tracing_helper_in_xdp(struct xdp_md *ctx)
{
	return bpf_get_current_pid_tgid() & 1 ? XDP_DROP : XDP_PASS;
}

LICENSE;
