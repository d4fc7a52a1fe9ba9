// Reject: bpf_this_cpu_ptr of the object bpf_percpu_obj_new just returned.
// The owning reference is MEM_ALLOC | MEM_PERCPU, not among the helper's types (MEM_PERCPU alone, with MEM_RCU or PTR_TRUSTED): a CPU's copy is reached through a stashed (RCU) pointer only.
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
int percpu_obj_this_cpu_owned(struct xdp_md *ctx)
{
	struct pcv *o = bpf_percpu_obj_new(struct pcv), *c;
	int r;

	if (!o)
		return 0;
	c = bpf_this_cpu_ptr(o);
	r = c->a;
	bpf_percpu_obj_drop(o);
	return r;
}

LICENSE;
