// Reject: a 4-byte load of a __kptr field.
// check_map_access: a kptr is read and written whole (BPF_DW) or not at all.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"
#include "kptr.h"

struct kn2_obj { __u64 a; };
KPTR_TYPE(kn2_obj);
struct kn2_val { __u64 x; kn2_obj_t __kptr *p; };
ARRAY_MAP(kn2_map, struct kn2_val, 1);

SEC("xdp")
int kptr_access_narrow(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct kn2_val *v = bpf_map_lookup_elem(&kn2_map, &k);

	BTF_TYPE_ANCHOR(struct kn2_obj);
	if (!v)
		return 0;
	return *(volatile __u32 *)((char *)v + 8);
}

LICENSE;
