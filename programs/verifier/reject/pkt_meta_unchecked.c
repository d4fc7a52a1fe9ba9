// Reject: metadata read without checking data_meta against data.
// data_meta is a PTR_TO_PACKET_META with range 0; only `data_meta + n > data` proves n bytes.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
int pkt_meta_unchecked(struct xdp_md *ctx)
{
	__u32 *meta = (void *)(long)ctx->data_meta;

	return *meta == 1 ? XDP_DROP : XDP_PASS;
}

LICENSE;
