// Reject: an object of another struct stashed with bpf_kptr_xchg.
// map_kptr_match_type: the source must be the kptr's own struct at offset 0 (btf_struct_ids_match, strict
// for a referenced kptr), else "invalid kptr access".
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"
#include "kptr.h"

struct kw_obj { __u64 a; };
struct kw_other { __u64 a; __u64 b; };
KPTR_TYPE(kw_obj);
struct kw_val { kw_obj_t __kptr *p; };
ARRAY_MAP(kw_map, struct kw_val, 1);

SEC("xdp")
int kptr_xchg_wrong_struct(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct kw_val *v = bpf_map_lookup_elem(&kw_map, &k);
	struct kw_other *o;
	struct kw_obj *old;

	BTF_TYPE_ANCHOR(struct kw_obj);
	if (!v)
		return 0;
	o = bpf_obj_new(struct kw_other);
	if (!o)
		return 0;
	old = bpf_kptr_xchg(&v->p, (struct kw_obj *)o);
	if (old)
		bpf_obj_drop(old);
	return 1;
}

LICENSE;
