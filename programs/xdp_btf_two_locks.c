// Two bpf_spin_locks in one struct (tests/programs/btf_refusal.test.ts): BPF_BTF_LOAD's btf_parse_struct_metas
// fails the object's whole BTF with -E2BIG and libbpf loads the object without it; the map is made without
// BTF and the program, which takes no lock, loads (6.18.44). wxdp refused the map (EINVAL) before.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct two {
	struct bpf_spin_lock a;
	struct bpf_spin_lock b;
	__u64 n;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct two);
} locks SEC(".maps");

SEC("xdp")
int xdp_btf_two_locks(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct two *v = bpf_map_lookup_elem(&locks, &k);

	if (!v)
		return XDP_ABORTED;
	v->n++;
	return v->n == 1 ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
