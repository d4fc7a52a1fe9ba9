// xdp_timer_lock_hash: a hash value holding both a bpf_spin_lock and a bpf_timer, updated by the program itself.
// `arm` inserts key 0 when missing and starts its timer (CLOCK_MONOTONIC, 10 s: it never fires within a test),
// answering bpf_timer_start's result; `lockupd` rewrites key 0 with bpf_map_update_elem(..., BPF_F_LOCK) and
// `plainupd` with BPF_ANY (data 7 and 9), each answering the update's result; `cancel` answers bpf_timer_cancel's
// (1: it was armed, -EINVAL: no timer); `data` the value's data word. htab_map_update_elem copies a BPF_F_LOCK
// update in place under the lock and keeps the element and its timer; a plain update swaps in a new element.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define CLOCK_MONOTONIC 1

struct val {
	struct bpf_spin_lock l;
	struct bpf_timer t;
	__u64 data;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct val);
	__uint(max_entries, 4);
} th SEC(".maps");

static int cb(void *map, __u32 *key, struct val *v)
{
	return 0;
}

SEC("xdp")
int arm(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct val z = {};
	struct val *v = bpf_map_lookup_elem(&th, &k);

	if (!v) {
		bpf_map_update_elem(&th, &k, &z, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&th, &k);
		if (!v)
			return -1;
	}
	bpf_timer_init(&v->t, &th, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&v->t, cb);
	return bpf_timer_start(&v->t, 10000000000ULL, 0);
}

static int update(__u64 data, __u64 flags)
{
	__u32 k = 0;
	struct val n = {};

	n.data = data;
	return bpf_map_update_elem(&th, &k, &n, flags);
}

SEC("xdp")
int lockupd(struct xdp_md *ctx)
{
	return update(7, BPF_F_LOCK);
}

SEC("xdp")
int plainupd(struct xdp_md *ctx)
{
	return update(9, BPF_ANY);
}

SEC("xdp")
int cancel(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct val *v = bpf_map_lookup_elem(&th, &k);

	if (!v)
		return -1;
	return bpf_timer_cancel(&v->t);
}

SEC("xdp")
int data(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct val *v = bpf_map_lookup_elem(&th, &k);

	return v ? (int)v->data : -1;
}

char LICENSE[] SEC("license") = "GPL";
