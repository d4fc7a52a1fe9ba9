// Refused: a timer in a per-CPU array's value. The kernel creates no per-CPU map with a bpf_timer
// in its BTF (map_check_btf: EOPNOTSUPP); libbpf creates it again without BTF, and the verifier then
// refuses the timer helper on a map without BTF.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct elem {
	struct bpf_timer t;
	__u64 n;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct elem);
	__uint(max_entries, 1);
} tpcpu SEC(".maps");

SEC("xdp")
int xdp_timer_percpu(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct elem *v = bpf_map_lookup_elem(&tpcpu, &k);

	if (!v)
		return XDP_PASS;
	return bpf_timer_cancel(&v->t);
}

char LICENSE[] SEC("license") = "GPL";
