// Accept: a __percpu_kptr loaded from the map, checked for NULL, a CPU's copy (the frame's queue index) written.
// The load is MEM_PERCPU | MEM_RCU | PTR_MAYBE_NULL; bpf_per_cpu_ptr of it is that CPU's copy, MEM_ALLOC | MEM_RCU, never NULL to the verifier.
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
int percpu_obj_load(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct pc_val *v = bpf_map_lookup_elem(&pc_map, &k);
	struct pcv *o, *c;

	BTF_TYPE_ANCHOR(struct pcv);
	if (!v)
		return 0;
	o = v->p;
	if (!o)
		return 1;
	c = bpf_per_cpu_ptr(o, ctx->rx_queue_index);
	c->b = 7;
	return c->a;
}

LICENSE;
