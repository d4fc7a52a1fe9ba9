// Reject: a __kptr loaded directly from the map and dropped.
// The load is MEM_ALLOC | MEM_RCU: no reference (the map keeps it), so bpf_obj_drop (KF_RELEASE) refuses it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"
#include "kptr.h"

struct kd_obj { __u64 a; };
KPTR_TYPE(kd_obj);
struct kd_val { kd_obj_t __kptr *p; };
ARRAY_MAP(kd_map, struct kd_val, 1);

SEC("xdp")
int kptr_load_drop(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct kd_val *v = bpf_map_lookup_elem(&kd_map, &k);
	struct kd_obj *o;

	BTF_TYPE_ANCHOR(struct kd_obj);
	if (!v)
		return 0;
	o = v->p;
	if (!o)
		return 1;
	bpf_obj_drop(o);
	return 2;
}

LICENSE;
