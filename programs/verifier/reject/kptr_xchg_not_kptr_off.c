// Reject: bpf_kptr_xchg on the scalar beside a map value's __kptr.
// process_kptr_func: the map has a kptr, but not at the argument's offset (EACCES).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"
#include "kptr.h"

struct ko_obj { __u64 a; };
KPTR_TYPE(ko_obj);
struct ko_val { __u64 x; ko_obj_t __kptr *p; };
ARRAY_MAP(ko_map, struct ko_val, 1);

SEC("xdp")
int kptr_xchg_not_kptr_off(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct ko_val *v = bpf_map_lookup_elem(&ko_map, &k);
	struct ko_obj *old;

	BTF_TYPE_ANCHOR(struct ko_obj);
	if (!v)
		return 0;
	old = bpf_kptr_xchg(&v->x, 0);
	if (old)
		bpf_obj_drop(old);
	return 1;
}

LICENSE;
