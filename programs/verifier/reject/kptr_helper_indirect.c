// Reject: a map value holding a __kptr passed to bpf_map_update_elem as the value to copy.
// check_map_access for a helper's memory (ACCESS_HELPER): a kptr field is reachable only by direct
// loads, and bpf_kptr_xchg's destination argument.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"
#include "kptr.h"

struct kh_obj { __u64 a; };
KPTR_TYPE(kh_obj);
struct kh_val { __u64 x; kh_obj_t __kptr *p; };
ARRAY_MAP(kh_map, struct kh_val, 2);

SEC("xdp")
int kptr_helper_indirect(struct xdp_md *ctx)
{
	__u32 k = 0, k1 = 1;
	struct kh_val *v = bpf_map_lookup_elem(&kh_map, &k);

	BTF_TYPE_ANCHOR(struct kh_obj);
	if (!v)
		return 0;
	bpf_map_update_elem(&kh_map, &k1, v, 0);
	return 1;
}

LICENSE;
