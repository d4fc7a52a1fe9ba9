// Accept: a map value's __kptr loaded directly, checked for NULL, its object read and written.
// XDP is not sleepable, so every load is in an RCU section: check_map_kptr_access marks the loaded
// pointer MEM_ALLOC | MEM_RCU | PTR_MAYBE_NULL (btf_ld_kptr_type) — no reference, but after the NULL
// check btf_struct_access allows loads and stores into the program's own struct. (The struct must be
// in the BTF: nothing here allocates one, so it is anchored, else the kptr's typedef names a FWD, the
// map's BTF is refused and libbpf makes the map without BTF: the load is then a plain scalar.)
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"
#include "kptr.h"

struct kl_obj { __u64 a; __u32 b; __u32 c; };
KPTR_TYPE(kl_obj);
struct kl_val { kl_obj_t __kptr *p; __u64 hits; };
ARRAY_MAP(kl_map, struct kl_val, 1);

SEC("xdp")
int kptr_load_rcu(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct kl_val *v = bpf_map_lookup_elem(&kl_map, &k);
	struct kl_obj *o;

	BTF_TYPE_ANCHOR(struct kl_obj);
	if (!v)
		return 0;
	o = v->p;
	if (!o)
		return 1;
	o->b += 1;
	return o->a + o->b;
}

LICENSE;
