// Accept: a per-CPU object stashed in a map value's __percpu_kptr, then this CPU's copy and CPU 0's written and read through the stashed pointer.
// After bpf_kptr_xchg releases it in an RCU section (XDP always is), the pointer stays usable as MEM_PERCPU | MEM_RCU: bpf_this_cpu_ptr / bpf_per_cpu_ptr turn it into one CPU's copy (MEM_ALLOC | MEM_RCU, not NULL).
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
int percpu_obj_stash(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct pc_val *v = bpf_map_lookup_elem(&pc_map, &k);
	struct pcv *o, *old, *c;
	int r;

	if (!v)
		return 0;
	o = bpf_percpu_obj_new(struct pcv);
	if (!o)
		return 0;
	old = bpf_kptr_xchg(&v->p, o);
	if (old)
		bpf_percpu_obj_drop(old);
	c = bpf_this_cpu_ptr(o);
	c->a += 3;
	r = c->a;
	c = bpf_per_cpu_ptr(o, 0);
	return r + c->b;
}

LICENSE;
