// Reject: bpf_obj_new's result passed to bpf_kptr_xchg before its NULL check.
// The source argument is ARG_PTR_TO_BTF_ID_OR_NULL | OBJ_RELEASE: check_reg_type lets the type through
// (PTR_MAYBE_NULL and MEM_ALLOC dropped for the compare), but its switch on the register's whole type has
// no case for PTR_TO_BTF_ID | MEM_ALLOC | PTR_MAYBE_NULL: the kernel calls it a verifier bug (EFAULT).
// NULL itself is fine (a constant 0); a maybe-NULL object is not.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"
#include "kptr.h"

struct ku_obj { __u64 a; };
KPTR_TYPE(ku_obj);
struct ku_val { ku_obj_t __kptr *p; };
ARRAY_MAP(ku_map, struct ku_val, 1);

SEC("xdp")
int kptr_xchg_unchecked_src(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct ku_val *v = bpf_map_lookup_elem(&ku_map, &k);
	struct ku_obj *old;

	if (!v)
		return 0;
	old = bpf_kptr_xchg(&v->p, bpf_obj_new(struct ku_obj));
	if (old)
		bpf_obj_drop(old);
	return 2;
}

LICENSE;
