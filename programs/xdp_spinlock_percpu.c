// Refused: a bpf_spin_lock in a per-CPU array's value. The kernel creates no per-CPU map with a
// bpf_spin_lock in its BTF (map_check_btf: EOPNOTSUPP); libbpf creates it again without BTF, and the
// verifier then refuses bpf_spin_lock on a map without BTF.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct elem {
	struct bpf_spin_lock l;
	__u32 n;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct elem);
	__uint(max_entries, 1);
} lpcpu SEC(".maps");

SEC("xdp")
int xdp_spinlock_percpu(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct elem *v = bpf_map_lookup_elem(&lpcpu, &k);

	if (!v)
		return XDP_PASS;
	bpf_spin_lock(&v->l);
	v->n++;
	bpf_spin_unlock(&v->l);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
