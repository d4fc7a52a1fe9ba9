// xdp_mim_update_outer: refused, a program may only look a map-in-map up (check_map_func_compatibility:
// array_of_maps takes bpf_map_lookup_elem alone), not store a map into it.
#include "xdp_mim.h"

SEC("xdp")
int update_outer(struct xdp_md *ctx)
{
	__u32 k = 1;
	__u32 v = 0;

	bpf_map_update_elem(&outer, &k, &v, BPF_ANY);
	return XDP_PASS;
}
