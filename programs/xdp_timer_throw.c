// xdp_timer_throw: bpf_throw in a bpf_timer callback (an async callback: the default exception callback's
// cookie is its return value, which must be 0). `arm` arms array keys 0 and 1 (CLOCK_MONOTONIC, 10 ms);
// each callback counts 1 and stores its key, key 1's then throws 0, key 0's counts 10 more. The timers fire
// from the stack's clock, outside any run (tests/programs/throw_device.test.ts).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier/kfunc_throw.h"

#define CLOCK_MONOTONIC 1

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

static int fire(void *map, __u32 *key, struct elem *v)
{
	v->fired++;
	v->key = *key;
	if (*key == 1)
		bpf_throw(0);
	v->fired += 10;
	return 0;
}

SEC("xdp")
int arm(struct xdp_md *ctx)
{
	for (__u32 k = 0; k < 2; k++) {
		__u32 key = k;
		struct elem *v = bpf_map_lookup_elem(&tarr, &key);

		if (!v)
			return XDP_ABORTED;
		bpf_timer_init(&v->t, &tarr, CLOCK_MONOTONIC);
		bpf_timer_set_callback(&v->t, fire);
		bpf_timer_start(&v->t, 10 * 1000 * 1000, 0);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
