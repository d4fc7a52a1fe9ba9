// Accept: an allocated object stashed in a map value's __kptr with bpf_kptr_xchg, the one it held taken out and dropped.
// bpf_kptr_xchg releases the reference passed in (the map owns the object now) and returns the field's old
// object as a new reference, or NULL: after the NULL check it is read and dropped.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"
#include "kptr.h"

struct kx_obj { __u64 a; __u64 b; };
KPTR_TYPE(kx_obj);
struct kx_val { __u64 x; kx_obj_t __kptr *p; };
ARRAY_MAP(kx_map, struct kx_val, 2);

SEC("xdp")
int kptr_xchg_stash(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct kx_val *v = bpf_map_lookup_elem(&kx_map, &k);
	struct kx_obj *o, *old;
	int r = 1;

	if (!v)
		return 0;
	o = bpf_obj_new(struct kx_obj);
	if (!o)
		return 0;
	o->a = ctx->ingress_ifindex + 7;
	old = bpf_kptr_xchg(&v->p, o);
	if (old) {
		r = old->a;
		bpf_obj_drop(old);
	}
	return r;
}

LICENSE;
