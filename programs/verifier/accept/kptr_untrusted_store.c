// Accept: an allocated object's pointer stored into a __kptr_untrusted field by a plain store, loaded back and read.
// A kptr_untrusted holds no reference (BPF_KPTR_UNREF): map_kptr_match_type lets a store of a pointer to
// its struct (or NULL) in, and a load is PTR_UNTRUSTED | PTR_MAYBE_NULL, read through probe loads. The
// program still owns, and drops, its object.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"
#include "kptr.h"

struct kt_obj { __u64 a; __u64 b; };
KPTR_TYPE(kt_obj);
struct kt_val { __u64 x; kt_obj_t __kptr_untrusted *p; };
ARRAY_MAP(kt_map, struct kt_val, 1);

SEC("xdp")
int kptr_untrusted_store(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct kt_val *v = bpf_map_lookup_elem(&kt_map, &k);
	struct kt_obj *o, *u;
	int r = 0;

	if (!v)
		return 0;
	o = bpf_obj_new(struct kt_obj);
	if (!o)
		return 0;
	o->b = 5;
	v->p = o;
	u = v->p;
	if (u)
		r = u->b;
	v->p = 0;
	bpf_obj_drop(o);
	return r;
}

LICENSE;
