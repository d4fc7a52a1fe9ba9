// xdp_nat: stateless destination NAT for IPv4, written around the packet-access and checksum helpers:
//   1. bpf_xdp_load_bytes copies the IPv4 header (options included) to the stack, and bpf_csum_diff
//      sums it; a header whose checksum does not fold to 0xffff -> XDP_DROP.
//   2. The destination address is looked up in `nat_table` (HASH, be32 -> be32, installed by the
//      recorder: 198.51.100.1 -> 10.1.1.1, 10.0.0.100 -> 10.1.1.100). On a hit the new address is
//      written with bpf_xdp_store_bytes, and the IPv4 header checksum and the TCP/UDP checksum
//      (pseudo-header) are updated with bpf_csum_diff(old, 4, new, 4, seed) and folded (a UDP
//      checksum of 0 stays 0: none was sent). Translated frames -> XDP_TX.
//   3. bpf_loop runs an FNV-1a hash over the first 64 bytes of the (translated) frame (the first 14
//      for frames shorter than 64), through a callback over a stack copy.
// What happened goes to `nat_results` (ARRAY): the raw 32-bit bpf_csum_diff sum of the header (its
// exact value is the architecture's csum_partial; only the 16-bit fold is portable), the fold, old and
// new address, both L4 checksums, the FNV hash, bpf_loop's return (iterations) and
// bpf_xdp_get_buff_len. Untagged IPv4 only; everything else -> XDP_PASS.
// Helpers: bpf_xdp_load_bytes, bpf_xdp_store_bytes, bpf_csum_diff, bpf_loop, bpf_xdp_get_buff_len,
// bpf_map_lookup_elem (HASH, ARRAY).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define HASH_BYTES 64

struct nat_result {
	__u32 hdr_raw_sum;  /* bpf_csum_diff(NULL, 0, header, ihl * 4, 0) */
	__u32 hdr_fold;     /* folded: 0xffff for a valid header */
	__be32 old_daddr;
	__be32 new_daddr;   /* 0 when not translated */
	__u16 l4_check_before;
	__u16 l4_check_after;
	__u32 fnv;
	__u32 loop_ret;
	__u32 buff_len;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __be32);
	__type(value, __be32);
	__uint(max_entries, 64);
} nat_table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct nat_result);
	__uint(max_entries, 1);
} nat_results SEC(".maps");

struct fnv_ctx {
	__u8 bytes[HASH_BYTES];
	__u32 hash;
};

static long fnv_step(__u32 i, struct fnv_ctx *c)
{
	if (i >= HASH_BYTES)
		return 1; /* stop */
	c->hash = (c->hash ^ c->bytes[i]) * 16777619;
	return 0;
}

static __always_inline __u16 csum_fold(__u64 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* New checksum after replacing 4 bytes covered by it: RFC 1624 through bpf_csum_diff. */
static __always_inline __u16 csum_replace4(__u16 check, __be32 old, __be32 new)
{
	__u64 sum = bpf_csum_diff(&old, 4, &new, 4, (__u16)~check);

	return ~csum_fold(sum);
}

SEC("xdp")
int xdp_nat(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph;
	struct nat_result *res;
	struct fnv_ctx fc = { .hash = 2166136261u };
	__u32 hdr[15] = {};
	__u32 zero = 0, ihl, len, n;
	__be32 old, *new;
	__u8 proto;
	int verdict = XDP_PASS;
	__s64 sum;

	res = bpf_map_lookup_elem(&nat_results, &zero);
	if (!res)
		return XDP_ABORTED;
	__builtin_memset(res, 0, sizeof(*res));
	res->buff_len = bpf_xdp_get_buff_len(ctx);
	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end)
		return XDP_PASS;
	ihl = iph->ihl;
	if (ihl < 5)
		return XDP_DROP;
	old = iph->daddr;
	proto = iph->protocol;
	res->old_daddr = old;

	/* 1. Verify the header checksum over a stack copy. */
	if (bpf_xdp_load_bytes(ctx, sizeof(*eth), hdr, ihl * 4))
		return XDP_DROP; /* options run past the end of the frame */
	sum = bpf_csum_diff(NULL, 0, hdr, ihl * 4, 0);
	if (sum < 0)
		return XDP_ABORTED;
	res->hdr_raw_sum = sum;
	res->hdr_fold = csum_fold(sum);
	if (res->hdr_fold != 0xffff)
		return XDP_DROP;

	/* 2. Translate. */
	new = bpf_map_lookup_elem(&nat_table, &old);
	if (new) {
		__be32 to = *new;
		__u32 l4 = sizeof(*eth) + ihl * 4;

		if (bpf_xdp_store_bytes(ctx, sizeof(*eth) + offsetof(struct iphdr, daddr), &to, 4))
			return XDP_ABORTED;
		data = (void *)(long)ctx->data;
		data_end = (void *)(long)ctx->data_end;
		iph = data + sizeof(*eth);
		if ((void *)(iph + 1) > data_end)
			return XDP_ABORTED;
		iph->check = csum_replace4(iph->check, old, to);
		res->new_daddr = to;

		if (!(iph->frag_off & bpf_htons(0x1fff)) && l4 <= 128) {
			if (proto == IPPROTO_UDP) {
				struct udphdr *uh = data + l4;

				if ((void *)(uh + 1) <= data_end) {
					res->l4_check_before = uh->check;
					if (uh->check) {
						uh->check = csum_replace4(uh->check, old, to);
						if (!uh->check)
							uh->check = 0xffff;
					}
					res->l4_check_after = uh->check;
				}
			} else if (proto == IPPROTO_TCP) {
				struct tcphdr *th = data + l4;

				if ((void *)(th + 1) <= data_end) {
					res->l4_check_before = th->check;
					th->check = csum_replace4(th->check, old, to);
					res->l4_check_after = th->check;
				}
			}
		}
		verdict = XDP_TX;
	}

	/* 3. FNV-1a over the head of the frame, one byte per bpf_loop iteration. */
	len = (long)ctx->data_end - (long)ctx->data;
	n = len >= HASH_BYTES ? HASH_BYTES : ETH_HLEN; /* constant sizes keep the verifier simple */
	if (n == HASH_BYTES ? bpf_xdp_load_bytes(ctx, 0, fc.bytes, HASH_BYTES)
			    : bpf_xdp_load_bytes(ctx, 0, fc.bytes, ETH_HLEN))
		return XDP_ABORTED;
	res->loop_ret = bpf_loop(n, fnv_step, &fc, 0);
	res->fnv = fc.hash;
	return verdict;
}

char LICENSE[] SEC("license") = "GPL";
