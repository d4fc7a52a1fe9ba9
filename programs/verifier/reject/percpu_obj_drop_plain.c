// Reject: a per-CPU object freed with bpf_obj_drop.
// bpf_obj_drop takes bpf_obj_new's objects (MEM_ALLOC) only; a MEM_PERCPU one is bpf_percpu_obj_drop's.
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
int percpu_obj_drop_plain(struct xdp_md *ctx)
{
	struct pcv *o = bpf_percpu_obj_new(struct pcv);

	if (!o)
		return 0;
	bpf_obj_drop(o);
	return 1;
}

LICENSE;
