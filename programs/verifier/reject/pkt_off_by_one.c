// Reject: packet read one byte past the checked range.
// `data + 14 > data_end` proves bytes 0..13 only (r=14); the load of byte 14, the first byte after
// the Ethernet header, needs r=15.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
int pkt_off_by_one(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (data + ETH_HLEN > data_end)
		return XDP_PASS;
	return *(__u8 *)(data + ETH_HLEN);
}

LICENSE;
