// xdp_mim_unchecked: refused, the inner map a lookup returns is used before its NULL check
// (6.18.44-fc-v1252: R1 type=map_ptr_or_null expected=map_ptr; earlier builds: map_value_or_null).
#include "xdp_mim.h"

SEC("xdp")
int inner_unchecked(struct xdp_md *ctx)
{
	__u32 k = 0;
	void *inner = bpf_map_lookup_elem(&outer, &k);
	__u64 *v;

	/* no `if (!inner)`: the kernel sees map_ptr_or_null where a map pointer is due */
	asm volatile("" : "+r"(inner));
	v = bpf_map_lookup_elem(inner, &k);
	if (v)
		return XDP_DROP;
	return XDP_PASS;
}
