// Reject: an atomic add into a __kptr field.
// check_map_kptr_access: BPF_MEM loads and stores only (an atomic is BPF_ATOMIC mode).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"
#include "kptr.h"

struct ka_obj { __u64 a; };
KPTR_TYPE(ka_obj);
struct ka_val { __u64 x; ka_obj_t __kptr *p; };
ARRAY_MAP(ka_map, struct ka_val, 1);

SEC("xdp")
int kptr_atomic_add(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct ka_val *v = bpf_map_lookup_elem(&ka_map, &k);

	BTF_TYPE_ANCHOR(struct ka_obj);
	if (!v)
		return 0;
	__sync_fetch_and_add((__u64 *)&v->p, 8);
	return 1;
}

LICENSE;
