// Reject: bpf_throw while a ringbuf reservation is held.
// The throw is an exit of every frame: check_resource_leak finds the reference unreleased (EINVAL).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_throw.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

SEC("xdp")
int throw_ref_leak(struct xdp_md *ctx)
{
	void *r = bpf_ringbuf_reserve(&rb, 8, 0);

	if (!r)
		return XDP_PASS;
	if (ctx->rx_queue_index == 0)
		bpf_throw(1);
	bpf_ringbuf_discard(r, 0);
	return XDP_DROP;
}

LICENSE;
