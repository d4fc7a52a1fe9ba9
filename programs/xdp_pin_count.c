// xdp_pin_count: adds the frame's length to pin_shared[0] and counts the frame in pin_shared[1] (pin_shared.h).
#define PIN_ENTRIES 2
#include "pin_shared.h"

SEC("xdp")
int xdp_pin_count(struct xdp_md *ctx)
{
	__u32 k0 = 0, k1 = 1;
	__u64 *bytes = bpf_map_lookup_elem(&pin_shared, &k0);
	__u64 *frames = bpf_map_lookup_elem(&pin_shared, &k1);

	if (!bytes || !frames)
		return XDP_ABORTED;
	__sync_fetch_and_add(bytes, ctx->data_end - ctx->data);
	__sync_fetch_and_add(frames, 1);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
