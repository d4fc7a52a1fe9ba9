// Reject: bpf_obj_drop of a map value.
// Its argument must be a referenced (or trusted) pointer: a map value holds no reference.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"

struct pair { __u64 a; __u32 b; __u32 c; };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pair);
} pairs SEC(".maps");

SEC("xdp")
int obj_drop_map_value(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct pair *p = bpf_map_lookup_elem(&pairs, &k);

	if (!p)
		return XDP_ABORTED;
	bpf_obj_drop(p);
	return XDP_PASS;
}
LICENSE;
