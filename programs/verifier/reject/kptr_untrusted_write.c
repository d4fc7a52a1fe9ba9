// Reject: a store through a pointer loaded from a __kptr_untrusted field.
// The load is PTR_TO_BTF_ID | PTR_UNTRUSTED | PTR_MAYBE_NULL of the program's struct: check_ptr_to_btf_access
// writes only into allocated objects the program holds (type_is_ptr_alloc_obj), else "only read is supported".
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"
#include "kptr.h"

struct kq_obj { __u64 a; };
KPTR_TYPE(kq_obj);
struct kq_val { kq_obj_t __kptr_untrusted *p; };
ARRAY_MAP(kq_map, struct kq_val, 1);

SEC("xdp")
int kptr_untrusted_write(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct kq_val *v = bpf_map_lookup_elem(&kq_map, &k);
	struct kq_obj *u;

	BTF_TYPE_ANCHOR(struct kq_obj);
	if (!v)
		return 0;
	u = v->p;
	if (!u)
		return 1;
	u->a = 3;
	return 2;
}

LICENSE;
