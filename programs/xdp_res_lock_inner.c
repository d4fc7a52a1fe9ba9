// A bpf_res_spin_lock in an inner map's value (an array of maps holding one array): the program locks the value found
// through the outer map, counts, unlocks; XDP_PASS on odd counts, XDP_TX on even ones. Linux 6.18.44 loads and runs it
// (tests/programs/res_spin_lock.test.ts); wxdp refused the object (rv55: the inner template knew no res lock, so
// map_meta_equal refused the object's own inner map, EINVAL). xdp_res_lock_inner_direct.c stores to the lock instead.
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
int xdp_res_lock_inner(struct xdp_md *ctx)
{
	struct res_locked *v;
	__u32 k = 0, cnt;
	void *m;

	m = bpf_map_lookup_elem(&outer, &k);
	if (!m)
		return XDP_ABORTED;
	v = bpf_map_lookup_elem(m, &k);
	if (!v)
		return XDP_ABORTED;
	if (bpf_res_spin_lock(&v->lock))
		return XDP_DROP;
	cnt = ++v->cnt;
	bpf_res_spin_unlock(&v->lock);
	return cnt & 1 ? XDP_PASS : XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
