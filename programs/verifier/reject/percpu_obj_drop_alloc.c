// Reject: an object of bpf_obj_new freed with bpf_percpu_obj_drop.
// bpf_percpu_obj_drop takes MEM_ALLOC | MEM_PERCPU objects only.
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
int percpu_obj_drop_alloc(struct xdp_md *ctx)
{
	struct pcv *o = bpf_obj_new(struct pcv);

	if (!o)
		return 0;
	bpf_percpu_obj_drop(o);
	return 1;
}

LICENSE;
