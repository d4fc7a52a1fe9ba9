// xdp_res_lock_inner.c's maps, the program storing to the inner value's bpf_res_spin_lock directly: Linux 6.18.44
// refuses it ("bpf_res_spin_lock cannot be accessed directly by load/store"), as wxdp must (tests/programs/res_spin_lock.test.ts).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_res_spin_lock {
	__u32 val;
};
extern int bpf_res_spin_lock(struct bpf_res_spin_lock *lock) __ksym;
extern void bpf_res_spin_unlock(struct bpf_res_spin_lock *lock) __ksym;

struct res_locked {
	struct bpf_res_spin_lock lock;
	__u32 cnt;
};

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct res_locked);
} in0 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = { .values = { &in0 } };

SEC("xdp")
int xdp_res_lock_inner_direct(struct xdp_md *ctx)
{
	struct res_locked *v;
	__u32 k = 0;
	void *m;

	m = bpf_map_lookup_elem(&outer, &k);
	if (!m)
		return XDP_ABORTED;
	v = bpf_map_lookup_elem(m, &k);
	if (!v)
		return XDP_ABORTED;
	*(volatile __u32 *)&v->lock = 1;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
