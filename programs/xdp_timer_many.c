// xdp_timer_many: many timer-holding hash elements armed, then half of them deleted out of order, as a
// program ageing out a table would. Each run of `arm_many` inserts the next key (0..N-1, then round again)
// and arms its timer (CLOCK_MONOTONIC, 100 ms), answering how many it armed so far; each run of `drop_odd`
// deletes the next odd key, `drop_even` the next even one (answering how many they deleted so far); each
// callback counts its firings in the value and stores its key. Run them with BPF_PROG_TEST_RUN's repeat. tests/programs/bpf_timer.test.ts
// compares the elements left and their timers' firings with the kernel.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define CLOCK_MONOTONIC 1
#define N 96

struct elem {
	struct bpf_timer t;
	__u64 fired;
	__u64 key;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct elem);
	__uint(max_entries, N);
} many SEC(".maps");

static int fire(void *map, __u32 *key, struct elem *val)
{
	val->fired++;
	val->key = *key;
	return 0;
}

/* each run takes the next key (BPF_PROG_TEST_RUN's repeat runs a program many times in one call) */
__u32 arms, odd_drops, even_drops;
int armed, dropped_odd, dropped_even;

SEC("xdp")
int arm_many(struct xdp_md *ctx)
{
	struct elem zero = {};
	__u32 k = arms++ % N;
	struct elem *h;

	bpf_map_update_elem(&many, &k, &zero, 0);
	h = bpf_map_lookup_elem(&many, &k);
	if (!h)
		return -1;
	if (bpf_timer_init(&h->t, &many, CLOCK_MONOTONIC) == 0 &&
	    bpf_timer_set_callback(&h->t, fire) == 0 &&
	    bpf_timer_start(&h->t, 100000000, 0) == 0)
		armed++;
	return armed;
}

SEC("xdp")
int drop_odd(struct xdp_md *ctx)
{
	__u32 k = 1 + 2 * (odd_drops++ % (N / 2));

	if (bpf_map_delete_elem(&many, &k) == 0)
		dropped_odd++;
	return dropped_odd;
}

SEC("xdp")
int drop_even(struct xdp_md *ctx)
{
	__u32 k = 2 * (even_drops++ % (N / 2));

	if (bpf_map_delete_elem(&many, &k) == 0)
		dropped_even++;
	return dropped_even;
}

char LICENSE[] SEC("license") = "GPL";
