// xdp_mim_timer: a bpf_timer in the values of an inner map, reached through an array_of_maps (as a
// program keeps per-tenant flow tables that age out their entries). The inner template's BTF fields
// come with it (bpf_map_meta_alloc copies the inner map's btf_record), and the verifier ties a timer
// to the inner map it was looked up in by map_uid: bpf_timer_init's map argument must be that same
// lookup's result. `arm` puts hash key 7 in slot 0's inner hash, and answers init / set_callback /
// start in `res` (0, 0, 0; a second init -EBUSY); the callback (100 ms) counts its firings in the
// value and stores the key it was given. `cancel` cancels it (1 while armed, 0 once fired or
// cancelled); `drop` deletes the element, whose timer goes with it. Slot 1 is empty: `arm` answers 1
// when nothing is there. tests/maps/mim_timer.test.ts compares it with the kernel.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define CLOCK_MONOTONIC 1

struct elem {
	struct bpf_timer t;
	__u64 fired;
	__u64 key;
};

struct inner {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct elem);
	__uint(max_entries, 4);
} flows0 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} tenants SEC(".maps") = { .values = { &flows0 } };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __s64);
	__uint(max_entries, 4);
} res SEC(".maps");

static int fire(void *map, __u32 *key, struct elem *val)
{
	val->fired++;
	val->key = *key;
	return 0;
}

static __always_inline void put(__u32 i, long r)
{
	__s64 v = r;

	bpf_map_update_elem(&res, &i, &v, 0);
}

static __always_inline struct elem *flow(__u32 slot)
{
	__u32 k7 = 7;
	void *m = bpf_map_lookup_elem(&tenants, &slot);

	if (!m)
		return 0;
	return bpf_map_lookup_elem(m, &k7);
}

SEC("xdp")
int arm(struct xdp_md *ctx)
{
	__u32 slot = 0, k7 = 7;
	struct elem zero = {};
	struct elem *h;
	void *m;

	m = bpf_map_lookup_elem(&tenants, &slot);
	if (!m)
		return 1;
	bpf_map_update_elem(m, &k7, &zero, 0);
	h = bpf_map_lookup_elem(m, &k7);
	if (!h)
		return XDP_ABORTED;
	put(0, bpf_timer_init(&h->t, m, CLOCK_MONOTONIC));       /* 0 */
	put(1, bpf_timer_init(&h->t, m, CLOCK_MONOTONIC));       /* again: -EBUSY */
	put(2, bpf_timer_set_callback(&h->t, fire));             /* 0 */
	put(3, bpf_timer_start(&h->t, 100000000, 0));            /* 0 */
	return XDP_PASS;
}

SEC("xdp")
int arm_empty(struct xdp_md *ctx)
{
	__u32 slot = 1;

	return bpf_map_lookup_elem(&tenants, &slot) ? 0 : 1;
}

SEC("xdp")
int cancel(struct xdp_md *ctx)
{
	struct elem *h = flow(0);

	if (!h)
		return XDP_ABORTED;
	return bpf_timer_cancel(&h->t);
}

SEC("xdp")
int drop(struct xdp_md *ctx)
{
	__u32 slot = 0, k7 = 7;
	void *m = bpf_map_lookup_elem(&tenants, &slot);

	if (!m)
		return XDP_ABORTED;
	return bpf_map_delete_elem(m, &k7);
}

char LICENSE[] SEC("license") = "GPL";
