// xdp_pin_fail: pin_shared (pin_shared.h, LIBBPF_PIN_BY_NAME) and two programs: xdp_pin_fail_ok loads,
// xdp_pin_fail_bad is refused by the verifier (it dereferences bpf_map_lookup_elem's result unchecked:
// R0 invalid mem access 'map_value_or_null'). libbpf's bpf_object_load error path unpins the map it
// pinned and closes every fd it opened: nothing of the load stays (tests/control/pinning.test.ts).
#define PIN_ENTRIES 2
#include "pin_shared.h"

SEC("xdp")
int xdp_pin_fail_ok(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&pin_shared, &k);

	return v ? XDP_PASS : XDP_ABORTED;
}

SEC("xdp")
int xdp_pin_fail_bad(struct xdp_md *ctx)
{
	__u32 k = 1;
	__u64 *v = bpf_map_lookup_elem(&pin_shared, &k);

	return *v ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
