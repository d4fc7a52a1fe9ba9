// A devmap whose entries carry their own program, as xdp-bench's redirect_devmap_multi does: the XDP
// program sends every frame to the devmap entry of key 0; the entry's SEC("xdp/devmap") program runs on
// the way out and may read ctx->egress_ifindex (the kernel allows it only for expected_attach_type
// BPF_XDP_DEVMAP). It writes the egress and ingress ifindex into the last two bytes of the source MAC,
// and drops frames shorter than an Ethernet header. The kernel refuses to test-run it (EINVAL).
//   xdp_to_devmap      bpf_redirect_map(&tx_ports, 0, XDP_PASS)
//   xdp_devmap_stamp   the devmap program
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} tx_ports SEC(".maps");

SEC("xdp")
int xdp_to_devmap(struct xdp_md *ctx)
{
	return bpf_redirect_map(&tx_ports, 0, XDP_PASS);
}

SEC("xdp/devmap")
int xdp_devmap_stamp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	eth->h_source[4] = ctx->ingress_ifindex;
	eth->h_source[5] = ctx->egress_ifindex;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
