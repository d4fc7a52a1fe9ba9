// Reject: bpf_kptr_xchg on a map value that has no kptr field.
// process_kptr_func: the map's btf_record has no BPF_KPTR field.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"

struct kn_obj { __u64 a; };
struct kn_val { __u64 x; __u64 p; };
ARRAY_MAP(kn_map, struct kn_val, 1);

SEC("xdp")
int kptr_xchg_no_kptr(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct kn_val *v = bpf_map_lookup_elem(&kn_map, &k);
	struct kn_obj *old;

	if (!v)
		return 0;
	old = bpf_kptr_xchg(&v->p, 0);
	if (old)
		bpf_obj_drop(old);
	return 1;
}

LICENSE;
