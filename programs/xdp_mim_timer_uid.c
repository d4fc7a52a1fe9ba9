// Refused: a timer looked up in the inner map one outer lookup found, initialised with the inner map
// another lookup found (they may differ: the verifier tells them apart by map_uid, the lookup's id).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct elem {
	struct bpf_timer t;
	__u64 n;
};

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct elem);
	__uint(max_entries, 1);
} in0 SEC(".maps"), in1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = { .values = { &in0, &in1 } };

SEC("xdp")
int xdp_mim_timer_uid(struct xdp_md *ctx)
{
	__u32 s0 = 0, s1 = 1, k = 0;
	void *m0 = bpf_map_lookup_elem(&outer, &s0);
	void *m1 = bpf_map_lookup_elem(&outer, &s1);
	struct elem *v;

	if (!m0 || !m1)
		return XDP_PASS;
	v = bpf_map_lookup_elem(m0, &k);
	if (!v)
		return XDP_PASS;
	return bpf_timer_init(&v->t, m1, 1);
}

char LICENSE[] SEC("license") = "GPL";
