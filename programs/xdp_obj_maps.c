// bpf_obj_new in a program that also names eight array maps (tests/programs/obj_graph.test.ts, checked
// engines): reads each map's value (all 0), allocates an object, writes their sum into it and reads it
// back, drops it. XDP_PASS when the object held the sum (0) and the allocation did not fail.
// Maps: m0 … m7 (ARRAY, 1 entry of u64). Kfuncs: bpf_obj_new_impl, bpf_obj_drop_impl.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier/obj_kfuncs.h"

struct small { __u64 x; __u64 y; };
#define M(n) struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64); } m##n SEC(".maps");
M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7)

#define T(n) v = bpf_map_lookup_elem(&m##n, &k); if (v) s += *v;
SEC("xdp")
int xdp_obj_maps(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *v, s = 0;
	struct small *a;

	T(0) T(1) T(2) T(3) T(4) T(5) T(6) T(7)
	a = bpf_obj_new(struct small);
	if (!a)
		return XDP_DROP;
	a->x = s;
	s = a->x + 1;
	bpf_obj_drop(a);
	return s == 1 ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
