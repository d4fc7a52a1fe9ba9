// Reject: bpf_throw while a bpf_spin_lock is held.
// Under a lock only kfunc_spin_allowed kfuncs may be called, and bpf_throw is none (EINVAL).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_throw.h"

struct val {
	struct bpf_spin_lock l;
	__u64 n;
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct val);
} locked SEC(".maps");

SEC("xdp")
int throw_under_lock(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct val *v = bpf_map_lookup_elem(&locked, &k);

	if (!v)
		return XDP_PASS;
	bpf_spin_lock(&v->l);
	if (ctx->rx_queue_index == 0)
		bpf_throw(1);
	bpf_spin_unlock(&v->l);
	return XDP_DROP;
}

LICENSE;
