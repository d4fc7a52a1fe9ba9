// Reject: a load of the lock's bytes: "bpf_res_spin_lock cannot be accessed directly by load/store" (EACCES).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "res_lock.h"

RES_LOCK_MAP(res_a);
RES_LOCK_MAP(res_b);

SEC("xdp")
int res_lock_direct_access(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct res_locked *v;

	v = bpf_map_lookup_elem(&res_a, &key);
	if (!v)
		return XDP_ABORTED;
	return *(volatile __u32 *)&v->lock.val;
}

LICENSE;
