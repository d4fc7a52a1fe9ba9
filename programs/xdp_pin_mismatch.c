// xdp_pin_mismatch: pin_shared (pin_shared.h) with 8 entries, not 2: no reuse of the pin.
#define PIN_ENTRIES 8
#include "pin_shared.h"

SEC("xdp")
int xdp_pin_mismatch(struct xdp_md *ctx)
{
	__u32 k = 7;
	__u64 *v = bpf_map_lookup_elem(&pin_shared, &k);

	return v ? XDP_PASS : XDP_ABORTED;
}

char _license[] SEC("license") = "GPL";
