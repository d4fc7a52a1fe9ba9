// Reject: an allocated object stored into a map value's referenced __kptr by a plain store.
// A referenced kptr owns its object: only bpf_kptr_xchg may change it (check_map_kptr_access refuses
// every BPF_STX / BPF_ST into a BPF_KPTR_REF field).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"
#include "kptr.h"

struct ks_obj { __u64 a; };
KPTR_TYPE(ks_obj);
struct ks_val { __u64 x; ks_obj_t __kptr *p; };
ARRAY_MAP(ks_map, struct ks_val, 1);

SEC("xdp")
int kptr_store_referenced(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct ks_val *v = bpf_map_lookup_elem(&ks_map, &k);
	struct ks_obj *o;

	if (!v)
		return 0;
	o = bpf_obj_new(struct ks_obj);
	if (!o)
		return 0;
	v->p = o;
	bpf_obj_drop(o);
	return 1;
}

LICENSE;
