// xdp_redirect: forwarding decisions through device maps. BPF_PROG_TEST_RUN only reports the verdict
// (XDP_REDIRECT = 4, or the fallback), it does not transmit, so what is recorded is which way each
// frame would go:
//   802.1Q/802.1ad tagged -> bpf_redirect_map(&tx_port_vlan, VID, XDP_DROP): a DEVMAP_HASH keyed by
//                            VLAN id; unknown VLANs fall back to XDP_DROP
//   broadcast destination -> bpf_redirect_map(&tx_port, 0, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS)
//   IPv4                  -> bpf_redirect_map(&tx_port, dst MAC & 7, XDP_PASS): a DEVMAP indexed by
//                            the last byte of the destination MAC; empty slots fall back to XDP_PASS
//   IPv6                  -> the same with fallback XDP_TX (the low two bits of flags are the action)
//   anything else         -> bpf_redirect(ingress_ifindex, 0): back out of the interface it came in on
// `redirect_stats` (ARRAY) counts each outcome; `last_rx` (ARRAY) keeps ingress_ifindex and
// rx_queue_index of the last frame (so a run with ctx_in is visible). The recorder installs
// tx_port[2] = 1 (lo; slot 1 stays empty) and tx_port_vlan[100] = tx_port_vlan[42] = 1.
// Helpers: bpf_redirect_map (DEVMAP, DEVMAP_HASH, broadcast), bpf_redirect, bpf_map_lookup_elem.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

enum { R_VLAN, R_BROADCAST, R_V4, R_V6, R_BOUNCE, R_REDIRECTED, R_FALLBACK, R_MAX };

struct rx_info {
	__u32 ingress_ifindex;
	__u32 rx_queue_index;
};

struct vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 8);
} tx_port SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 16);
} tx_port_vlan SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, R_MAX);
} redirect_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct rx_info);
	__uint(max_entries, 1);
} last_rx SEC(".maps");

static __always_inline void count(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&redirect_stats, &slot);

	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline int outcome(__u32 kind, long action)
{
	count(kind);
	count(action == XDP_REDIRECT ? R_REDIRECTED : R_FALLBACK);
	return action;
}

SEC("xdp")
int xdp_redirect(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct rx_info *rx;
	__u32 zero = 0;

	rx = bpf_map_lookup_elem(&last_rx, &zero);
	if (rx) {
		rx->ingress_ifindex = ctx->ingress_ifindex;
		rx->rx_queue_index = ctx->rx_queue_index;
	}
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;

	if (eth->h_proto == bpf_htons(ETH_P_8021Q) || eth->h_proto == bpf_htons(ETH_P_8021AD)) {
		struct vlan_hdr *vh = (void *)(eth + 1);
		__u32 vid;

		if ((void *)(vh + 1) > data_end)
			return XDP_DROP;
		vid = bpf_ntohs(vh->tci) & 0x0fff;
		return outcome(R_VLAN, bpf_redirect_map(&tx_port_vlan, vid, XDP_DROP));
	}
	if ((eth->h_dest[0] & eth->h_dest[1] & eth->h_dest[2] & eth->h_dest[3] & eth->h_dest[4] &
	     eth->h_dest[5]) == 0xff)
		return outcome(R_BROADCAST, bpf_redirect_map(&tx_port, 0, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS));
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		return outcome(R_V4, bpf_redirect_map(&tx_port, eth->h_dest[5] & 7, XDP_PASS));
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return outcome(R_V6, bpf_redirect_map(&tx_port, eth->h_dest[5] & 7, XDP_TX));
	return outcome(R_BOUNCE, bpf_redirect(ctx->ingress_ifindex, 0));
}

char LICENSE[] SEC("license") = "GPL";
