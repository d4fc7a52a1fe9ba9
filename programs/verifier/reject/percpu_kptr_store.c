// Reject: a per-CPU object stored into a __percpu_kptr by a plain store.
// A percpu_kptr is referenced: only bpf_kptr_xchg changes it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"
#include "kptr.h"

struct pcv { __u64 a; __u64 b; };
KPTR_TYPE(pcv);
struct pc_val { __u64 x; pcv_t __percpu_kptr *p; };
ARRAY_MAP(pc_map, struct pc_val, 1);
SEC("xdp")
int percpu_kptr_store(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct pc_val *v = bpf_map_lookup_elem(&pc_map, &k);
	struct pcv *o;

	if (!v)
		return 0;
	o = bpf_percpu_obj_new(struct pcv);
	if (!o)
		return 0;
	v->p = o;
	bpf_percpu_obj_drop(o);
	return 1;
}

LICENSE;
