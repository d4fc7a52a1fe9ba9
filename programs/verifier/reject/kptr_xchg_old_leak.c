// Reject: the object bpf_kptr_xchg took out of the map never dropped nor stashed again.
// The old object comes back as a new reference (is_acquire_function): at the exit it is unreleased.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"
#include "kptr.h"

struct kk_obj { __u64 a; };
KPTR_TYPE(kk_obj);
struct kk_val { kk_obj_t __kptr *p; };
ARRAY_MAP(kk_map, struct kk_val, 1);

SEC("xdp")
int kptr_xchg_old_leak(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct kk_val *v = bpf_map_lookup_elem(&kk_map, &k);
	struct kk_obj *o, *old;

	if (!v)
		return 0;
	o = bpf_obj_new(struct kk_obj);
	if (!o)
		return 0;
	old = bpf_kptr_xchg(&v->p, o);
	if (old)
		return old->a;
	return 1;
}

LICENSE;
