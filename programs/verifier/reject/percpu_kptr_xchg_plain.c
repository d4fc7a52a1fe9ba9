// Reject: an object of bpf_obj_new stashed in a __percpu_kptr.
// map_kptr_match_type: a percpu_kptr takes MEM_PERCPU objects of its struct.
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
int percpu_kptr_xchg_plain(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct pc_val *v = bpf_map_lookup_elem(&pc_map, &k);
	struct pcv *o, *old;

	if (!v)
		return 0;
	o = bpf_obj_new(struct pcv);
	if (!o)
		return 0;
	old = bpf_kptr_xchg(&v->p, o);
	if (old)
		bpf_percpu_obj_drop(old);
	return 1;
}

LICENSE;
