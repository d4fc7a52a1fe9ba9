// xdp_timer: bpf_timer_init / set_callback / start / cancel (helpers 169-172) in map values, as a
// program ages out its entries. `arm` records each helper's answer in `res` (slot i: the i-th call)
// and leaves two timers armed: array key 0 (CLOCK_MONOTONIC, 100 ms) and hash key 7 (CLOCK_BOOTTIME,
// 150 ms); each callback counts its firings in the value and stores the key it was given. `cancel`
// cancels array key 0 (1 while armed, 0 once fired or cancelled). `drop` deletes hash key 7, whose
// timer goes with it. `rearm` arms `tself`'s timer (20 ms), whose callback cancels its own timer
// (-EDEADLK) and starts it again once (20 ms more), recording both answers. tests/programs/bpf_timer.test.ts compares all of it with the kernel.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_BOOTTIME 7
/* include/uapi/linux/bpf.h (6.7+), newer than this machine's uapi headers */
#define TIMER_ABS (1ULL << 0)
#define TIMER_CPU_PIN (1ULL << 1)

struct elem {
	struct bpf_timer t;
	__u64 fired;
	__u64 key;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct elem);
	__uint(max_entries, 2);
} tarr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct elem);
	__uint(max_entries, 4);
} thash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __s64);
	__uint(max_entries, 16);
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

SEC("xdp")
int arm(struct xdp_md *ctx)
{
	__u32 k0 = 0, k1 = 1, k7 = 7;
	struct elem zero = {};
	struct elem *a, *b, *h;

	a = bpf_map_lookup_elem(&tarr, &k0);
	b = bpf_map_lookup_elem(&tarr, &k1);
	if (!a || !b)
		return XDP_ABORTED;
	put(0, bpf_timer_start(&b->t, 1000, 0));                 /* not initialised: -EINVAL */
	put(1, bpf_timer_set_callback(&b->t, fire));             /* not initialised: -EINVAL */
	put(2, bpf_timer_cancel(&b->t));                         /* not initialised: -EINVAL */
	put(3, bpf_timer_init(&b->t, &tarr, 3));                 /* CLOCK_THREAD_CPUTIME_ID: -EINVAL */
	put(4, bpf_timer_init(&b->t, &tarr, CLOCK_REALTIME | (1 << 4))); /* flags past the clock: -EINVAL */
	put(5, bpf_timer_init(&a->t, &tarr, CLOCK_MONOTONIC));   /* 0 */
	put(6, bpf_timer_init(&a->t, &tarr, CLOCK_MONOTONIC));   /* again: -EBUSY */
	put(7, bpf_timer_start(&a->t, 1000000, 0));              /* no callback yet: -EINVAL */
	put(8, bpf_timer_set_callback(&a->t, fire));             /* 0 */
	put(9, bpf_timer_start(&a->t, 1000000, 1 << 2));         /* unknown flag: -EINVAL */
	put(10, bpf_timer_start(&a->t, 100000000, TIMER_CPU_PIN)); /* 0 */
	put(11, bpf_timer_init(&b->t, &tarr, CLOCK_REALTIME));   /* 0, never started */
	put(12, bpf_timer_cancel(&b->t));                        /* initialised, not armed: 0 */
	bpf_map_update_elem(&thash, &k7, &zero, 0);
	h = bpf_map_lookup_elem(&thash, &k7);
	if (!h)
		return XDP_ABORTED;
	put(13, bpf_timer_init(&h->t, &thash, CLOCK_BOOTTIME));  /* 0 */
	put(14, bpf_timer_set_callback(&h->t, fire));            /* 0 */
	put(15, bpf_timer_start(&h->t, 150000000, 0));             /* 0 */
	return XDP_PASS;
}

SEC("xdp")
int cancel(struct xdp_md *ctx)
{
	__u32 k0 = 0;
	struct elem *a = bpf_map_lookup_elem(&tarr, &k0);

	if (!a)
		return XDP_ABORTED;
	return bpf_timer_cancel(&a->t);
}

SEC("xdp")
int drop(struct xdp_md *ctx)
{
	__u32 k7 = 7;

	return bpf_map_delete_elem(&thash, &k7);
}

struct self_elem {
	struct bpf_timer t;
	__s64 fired;
	__s64 cancel;
	__s64 start;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct self_elem);
	__uint(max_entries, 1);
} tself SEC(".maps");

static int again(void *map, __u32 *key, struct self_elem *v)
{
	v->fired++;
	v->cancel = bpf_timer_cancel(&v->t);
	if (v->fired == 1)
		v->start = bpf_timer_start(&v->t, 20000000, 0);
	return 0;
}

SEC("xdp")
int rearm(struct xdp_md *ctx)
{
	__u32 k0 = 0;
	struct self_elem *v = bpf_map_lookup_elem(&tself, &k0);

	if (!v)
		return XDP_ABORTED;
	bpf_timer_init(&v->t, &tself, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&v->t, again);
	return bpf_timer_start(&v->t, 20000000, 0);
}

char LICENSE[] SEC("license") = "GPL";
