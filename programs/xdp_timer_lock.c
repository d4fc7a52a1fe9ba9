// xdp_timer_lock: an array value holding both a bpf_spin_lock and a bpf_timer, as copy_map_value's special fields.
// `arm` starts the timer of array key 0 (CLOCK_MONOTONIC, 10 s: it never fires within a test) and answers
// bpf_timer_start's result; `cancel` answers bpf_timer_cancel's (1: it was armed); `data` answers the value's
// data word. tests/maps/array.test.ts updates the value from user space (plainly and with BPF_F_LOCK) between
// them: the kernel's array update frees the timer after the copy (bpf_obj_free_fields): `cancel` answers -EINVAL.
// The h_ programs do the same with a hash value the program rewrites itself: `h_arm` inserts key 0 when missing and
// starts its timer; `h_lockupd` rewrites it with bpf_map_update_elem(..., BPF_F_LOCK), `h_plainupd` with BPF_ANY
// (data 7 and 9), each answering the update's result; `h_cancel` and `h_data` as above. htab_map_update_elem
// copies a BPF_F_LOCK update in place under the lock and keeps the element and its timer; a plain update swaps in
// a new element without one.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define CLOCK_MONOTONIC 1

struct val {
	struct bpf_spin_lock l;
	struct bpf_timer t;
	__u64 data;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct val);
	__uint(max_entries, 1);
} tl SEC(".maps");

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
	struct val *v = bpf_map_lookup_elem(&tl, &k);

	if (!v)
		return -1;
	bpf_timer_init(&v->t, &tl, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&v->t, cb);
	return bpf_timer_start(&v->t, 10000000000ULL, 0);
}

SEC("xdp")
int cancel(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct val *v = bpf_map_lookup_elem(&tl, &k);

	if (!v)
		return -1;
	return bpf_timer_cancel(&v->t);
}

SEC("xdp")
int data(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct val *v = bpf_map_lookup_elem(&tl, &k);

	return v ? (int)v->data : -1;
}

SEC("xdp")
int h_arm(struct xdp_md *ctx)
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
int h_lockupd(struct xdp_md *ctx)
{
	return update(7, BPF_F_LOCK);
}

SEC("xdp")
int h_plainupd(struct xdp_md *ctx)
{
	return update(9, BPF_ANY);
}

SEC("xdp")
int h_cancel(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct val *v = bpf_map_lookup_elem(&th, &k);

	if (!v)
		return -1;
	return bpf_timer_cancel(&v->t);
}

SEC("xdp")
int h_data(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct val *v = bpf_map_lookup_elem(&th, &k);

	return v ? (int)v->data : -1;
}

char LICENSE[] SEC("license") = "GPL";
