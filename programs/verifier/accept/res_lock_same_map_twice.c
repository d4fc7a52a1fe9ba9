// Accept: two lookups of the same element, each pointer's lock taken (AA at run time: the second call
// answers -EDEADLK). The verifier tells locks apart by the map value's id, which each lookup gives anew,
// so it cannot see the deadlock and refuses only a second lock through the same pointer.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "res_lock.h"

RES_LOCK_MAP(res_a);
RES_LOCK_MAP(res_b);

SEC("xdp")
int res_lock_same_map_twice(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct res_locked *a, *b;
	int ret;

	a = bpf_map_lookup_elem(&res_a, &key);
	b = bpf_map_lookup_elem(&res_a, &key);
	if (!a || !b)
		return XDP_ABORTED;
	if (bpf_res_spin_lock(&a->lock))
		return XDP_DROP;
	ret = bpf_res_spin_lock(&b->lock);
	if (!ret) {
		b->cnt++;
		bpf_res_spin_unlock(&b->lock);
	}
	bpf_res_spin_unlock(&a->lock);
	return ret == -35 ? XDP_TX : XDP_PASS;
}

LICENSE;
