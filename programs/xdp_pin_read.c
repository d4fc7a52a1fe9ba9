// xdp_pin_read: pin_shared[0] and [1] (pin_shared.h) over the frame's first 16 bytes; XDP_TX once
// pin_shared[1] reaches 3, else XDP_PASS.
#define PIN_ENTRIES 2
#include "pin_shared.h"

SEC("xdp")
int xdp_pin_read(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u64 *out = data;
	__u32 k0 = 0, k1 = 1;
	__u64 *bytes = bpf_map_lookup_elem(&pin_shared, &k0);
	__u64 *frames = bpf_map_lookup_elem(&pin_shared, &k1);

	if (!bytes || !frames || data + 16 > end)
		return XDP_ABORTED;
	out[0] = *bytes;
	out[1] = *frames;
	return *frames >= 3 ? XDP_TX : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
