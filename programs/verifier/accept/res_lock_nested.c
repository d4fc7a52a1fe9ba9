// Accept: two bpf_res_spin_locks held at once (in two maps' values), released last-taken first.
// Unlike bpf_spin_lock ("Locking two bpf_spin_locks are not allowed"), res locks nest; each lock call
// forks its own failure path, on which only the locks taken before it are held.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "res_lock.h"

RES_LOCK_MAP(res_a);
RES_LOCK_MAP(res_b);

SEC("xdp")
int res_lock_nested(struct xdp_md *ctx)
{
	__u32 key = 0, ret;
	struct res_locked *a, *b;

	a = bpf_map_lookup_elem(&res_a, &key);
	b = bpf_map_lookup_elem(&res_b, &key);
	if (!a || !b)
		return XDP_ABORTED;
	if (bpf_res_spin_lock(&a->lock))
		return XDP_DROP;
	if (bpf_res_spin_lock(&b->lock)) {
		bpf_res_spin_unlock(&a->lock);
		return XDP_DROP;
	}
	a->cnt++;
	ret = ++b->cnt;
	bpf_res_spin_unlock(&b->lock);
	bpf_res_spin_unlock(&a->lock);
	return ret & 1 ? XDP_PASS : XDP_TX;
}

LICENSE;
