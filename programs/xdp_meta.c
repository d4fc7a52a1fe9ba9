// xdp_meta: writes per-packet metadata in front of the frame with bpf_xdp_adjust_meta, the area an
// AF_XDP socket, a TC program or a later XDP stage reads at ctx->data_meta. For every frame at least
// 14 bytes long: 16 bytes of struct meta (magic, mark, ethertype, frame length from
// bpf_xdp_get_buff_len). For IPv6 frames the area is then shrunk again by 8 bytes (a positive delta),
// leaving only the last 8 bytes (eth_proto, frame_len, buff_len). The metadata is read back through
// data_meta and copied to `meta_seen` (ARRAY) with its length. BPF_PROG_TEST_RUN's data_out starts
// at data_meta, so the recorded data_out shows the metadata followed by the frame.
// mark: 0x10000 | IP protocol for IPv4/IPv6, 0x20000 | VID for VLAN-tagged frames, else 0.
// Helpers: bpf_xdp_adjust_meta, bpf_xdp_get_buff_len, bpf_map_update_elem.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define META_MAGIC 0x77786470 /* "wxdp" */

struct meta {
	__u32 magic;
	__u32 mark;
	__u16 eth_proto;  /* network byte order */
	__u16 frame_len;
	__u32 buff_len;
};

struct meta_record {
	__u32 meta_len;
	__s32 ret;        /* last bpf_xdp_adjust_meta return */
	__u8 meta[sizeof(struct meta)];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct meta_record);
	__uint(max_entries, 1);
} meta_seen SEC(".maps");

SEC("xdp")
int xdp_meta(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct meta_record rec = {};
	struct meta *m;
	__u32 zero = 0, mark = 0;
	__be16 proto;
	int ret;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	proto = eth->h_proto;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		__be16 *tci = (void *)(eth + 1);

		if ((void *)(tci + 1) <= data_end)
			mark = 0x20000 | (bpf_ntohs(*tci) & 0x0fff);
	} else if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = (void *)(eth + 1);

		if ((void *)(iph + 1) <= data_end)
			mark = 0x10000 | iph->protocol;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = (void *)(eth + 1);

		if ((void *)(ip6h + 1) <= data_end)
			mark = 0x10000 | ip6h->nexthdr;
	}

	ret = bpf_xdp_adjust_meta(ctx, -(int)sizeof(*m));
	rec.ret = ret;
	if (ret)
		goto out;
	data = (void *)(long)ctx->data;
	m = (void *)(long)ctx->data_meta;
	if ((void *)(m + 1) > data)
		return XDP_ABORTED;
	m->magic = META_MAGIC;
	m->mark = mark;
	m->eth_proto = proto;
	m->frame_len = (long)ctx->data_end - (long)ctx->data;
	m->buff_len = bpf_xdp_get_buff_len(ctx);

	if (proto == bpf_htons(ETH_P_IPV6)) {
		ret = bpf_xdp_adjust_meta(ctx, 8);
		rec.ret = ret;
		if (ret)
			goto out;
	}

	data = (void *)(long)ctx->data;
	{
		void *meta = (void *)(long)ctx->data_meta;
		__u32 len = data - meta;

		rec.meta_len = len;
		if (len == sizeof(struct meta) && meta + sizeof(struct meta) <= data)
			__builtin_memcpy(rec.meta, meta, sizeof(struct meta));
		else if (len == 8 && meta + 8 <= data)
			__builtin_memcpy(rec.meta, meta, 8);
	}
out:
	bpf_map_update_elem(&meta_seen, &zero, &rec, BPF_ANY);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
