// xdp_timer_lock: an array value holding both a bpf_spin_lock and a bpf_timer, as copy_map_value's special fields.
// `arm` starts the timer of array key 0 (CLOCK_MONOTONIC, 10 s: it never fires within a test) and answers
// bpf_timer_start's result; `cancel` answers bpf_timer_cancel's (1: it was armed); `data` answers the value's
// data word. tests/maps/array.test.ts updates the value from user space (plainly and with BPF_F_LOCK) between
// them: the kernel's array update frees the timer after the copy (bpf_obj_free_fields): `cancel` answers -EINVAL.
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

char LICENSE[] SEC("license") = "GPL";
