// Reject: bpf_kptr_xchg on a __kptr_untrusted field.
// process_kptr_func: only a referenced kptr (BPF_KPTR_REF, BPF_KPTR_PERCPU) is exchanged (EACCES).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"
#include "kptr.h"

struct kv_obj { __u64 a; };
KPTR_TYPE(kv_obj);
struct kv_val { __u64 x; kv_obj_t __kptr_untrusted *p; };
ARRAY_MAP(kv_map, struct kv_val, 1);

SEC("xdp")
int kptr_xchg_untrusted(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct kv_val *v = bpf_map_lookup_elem(&kv_map, &k);
	struct kv_obj *o, *old;

	if (!v)
		return 0;
	o = bpf_obj_new(struct kv_obj);
	if (!o)
		return 0;
	old = bpf_kptr_xchg(&v->p, o);
	if (old)
		bpf_obj_drop(old);
	return 1;
}

LICENSE;
