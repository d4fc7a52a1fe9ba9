// Reject: a __kptr loaded directly from one map value stashed into another with bpf_kptr_xchg.
// The load holds no reference to hand over: PTR_TO_BTF_ID | MEM_ALLOC | MEM_RCU is no case of
// check_reg_type's switch for bpf_kptr_xchg's source (the kernel's "verifier bug", EFAULT).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"
#include "kptr.h"

struct kr_obj { __u64 a; };
KPTR_TYPE(kr_obj);
struct kr_val { kr_obj_t __kptr *p; };
ARRAY_MAP(kr_map, struct kr_val, 2);

SEC("xdp")
int kptr_load_xchg_src(struct xdp_md *ctx)
{
	__u32 k = 0, k1 = 1;
	struct kr_val *v = bpf_map_lookup_elem(&kr_map, &k);
	struct kr_val *w = bpf_map_lookup_elem(&kr_map, &k1);
	struct kr_obj *o, *old;

	BTF_TYPE_ANCHOR(struct kr_obj);
	if (!v || !w)
		return 0;
	o = v->p;
	if (!o)
		return 1;
	old = bpf_kptr_xchg(&w->p, o);
	if (old)
		bpf_obj_drop(old);
	return 2;
}

LICENSE;
