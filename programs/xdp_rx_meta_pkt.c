// The XDP RX-metadata kfuncs writing their answers straight into the frame: the hash and its type
// and the timestamp into the metadata area (pkt_meta pointers), the VLAN tag into the packet (pkt
// pointers). Their u32 / u64 / __be16 / u16 arguments are KF_ARG_PTR_TO_MEM, which the kernel checks
// as helper memory (check_mem_reg): a packet pointer is fine within its checked range.
// Device-bound only (BPF_F_XDP_DEV_BOUND_ONLY), as the kernel requires of these kfuncs.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum xdp_rss_hash_type { XDP_RSS_TYPE_NONE };

extern int bpf_xdp_metadata_rx_timestamp(const struct xdp_md *ctx, __u64 *timestamp) __ksym;
extern int bpf_xdp_metadata_rx_hash(const struct xdp_md *ctx, __u32 *hash,
				    enum xdp_rss_hash_type *rss_type) __ksym;
extern int bpf_xdp_metadata_rx_vlan_tag(const struct xdp_md *ctx, __be16 *vlan_proto,
					__u16 *vlan_tci) __ksym;

SEC("xdp")
int rx_meta_pkt(struct xdp_md *ctx)
{
	__u8 *data, *meta, *end;

	if (bpf_xdp_adjust_meta(ctx, -16))
		return XDP_ABORTED;
	data = (__u8 *)(long)ctx->data;
	meta = (__u8 *)(long)ctx->data_meta;
	end = (__u8 *)(long)ctx->data_end;
	if (meta + 16 > data || data + 4 > end)
		return XDP_ABORTED;
	bpf_xdp_metadata_rx_hash(ctx, (__u32 *)meta, (enum xdp_rss_hash_type *)(meta + 4));
	bpf_xdp_metadata_rx_timestamp(ctx, (__u64 *)(meta + 8));
	bpf_xdp_metadata_rx_vlan_tag(ctx, (__be16 *)data, (__u16 *)(data + 2));
	return XDP_PASS;
}

/* The same with the packet range one byte short of the VLAN TCI's two. */
SEC("xdp")
int rx_meta_pkt_short(struct xdp_md *ctx)
{
	__u8 *data = (__u8 *)(long)ctx->data;
	__u8 *end = (__u8 *)(long)ctx->data_end;

	if (data + 3 > end)
		return XDP_ABORTED;
	bpf_xdp_metadata_rx_vlan_tag(ctx, (__be16 *)data, (__u16 *)(data + 2));
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
