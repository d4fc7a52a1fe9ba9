// Reject: a per-CPU object's pointer dereferenced directly.
// bpf_percpu_obj_new gives MEM_PERCPU: its memory is one copy per CPU, reached only through bpf_this_cpu_ptr / bpf_per_cpu_ptr.
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
int percpu_obj_deref(struct xdp_md *ctx)
{
	struct pcv *o = bpf_percpu_obj_new(struct pcv);
	int r;

	if (!o)
		return 0;
	r = o->a;
	bpf_percpu_obj_drop(o);
	return r;
}

LICENSE;
