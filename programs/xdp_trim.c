// xdp_trim: shortens (and once lengthens) frames with bpf_xdp_adjust_tail.
//   IPv4 / IPv6 (untagged): trailing bytes after the IP datagram (Ethernet minimum-size padding,
//     or junk) are cut so the frame ends where tot_len / payload_len says; then a frame still longer
//     than snap_len (.rodata, 128) is cut to snap_len, like a packet capture's snap length.
//   ARP: grown by 4 bytes and a trailer 0xc0ffee00 written at the new end (bpf_xdp_adjust_tail with
//     a positive delta uses the tailroom).
//   Frames whose IP length is larger than the frame are left alone (XDP_DROP), as are other frames
//     (XDP_PASS).
// The recorded data_out shows the new length. `trim_stats` (ARRAY) keeps, for the last frame, the
// original length, bytes of padding cut, bytes cut by the snap length, bytes added, and the return
// value of the last bpf_xdp_adjust_tail call (0 or a negative errno).
// Helpers: bpf_xdp_adjust_tail, bpf_map_lookup_elem.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

const volatile __u32 snap_len = 128;

struct trim_info {
	__u32 orig_len;
	__u32 padding_cut;
	__u32 snap_cut;
	__u32 grown;
	__s32 last_ret;
	__u32 final_len;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct trim_info);
	__uint(max_entries, 1);
} trim_stats SEC(".maps");

SEC("xdp")
int xdp_trim(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct trim_info *ti;
	__u32 zero = 0, len, want;
	int ret;

	ti = bpf_map_lookup_elem(&trim_stats, &zero);
	if (!ti)
		return XDP_ABORTED;
	len = data_end - data;
	__builtin_memset(ti, 0, sizeof(*ti));
	ti->orig_len = len;
	ti->final_len = len;
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;

	if (eth->h_proto == bpf_htons(ETH_P_ARP)) {
		__u32 *trailer;

		ret = bpf_xdp_adjust_tail(ctx, 4);
		ti->last_ret = ret;
		if (ret)
			return XDP_PASS;
		data = (void *)(long)ctx->data;
		data_end = (void *)(long)ctx->data_end;
		if (len > 4096) /* bounds the offset for the verifier */
			return XDP_ABORTED;
		trailer = data + len; /* the old end: no arithmetic on data_end is allowed */
		if ((void *)(trailer + 1) > data_end)
			return XDP_ABORTED;
		*trailer = bpf_htonl(0xc0ffee00);
		ti->grown = 4;
		ti->final_len = data_end - data;
		return XDP_PASS;
	}

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = (void *)(eth + 1);

		if ((void *)(iph + 1) > data_end)
			return XDP_PASS;
		want = sizeof(*eth) + bpf_ntohs(iph->tot_len);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = (void *)(eth + 1);

		if ((void *)(ip6h + 1) > data_end)
			return XDP_PASS;
		want = sizeof(*eth) + sizeof(*ip6h) + bpf_ntohs(ip6h->payload_len);
	} else {
		return XDP_PASS;
	}

	if (want > len)
		return XDP_DROP;
	if (want < len) {
		ret = bpf_xdp_adjust_tail(ctx, (int)want - (int)len);
		ti->last_ret = ret;
		if (ret)
			return XDP_ABORTED;
		ti->padding_cut = len - want;
		len = want;
	}
	if (len > snap_len) {
		ret = bpf_xdp_adjust_tail(ctx, (int)snap_len - (int)len);
		ti->last_ret = ret;
		if (ret)
			return XDP_ABORTED;
		ti->snap_cut = len - snap_len;
		len = snap_len;
	}
	ti->final_len = len;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
