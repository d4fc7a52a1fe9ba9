// xdp_loops: the loop shapes real XDP programs are made of, one program each, for the JIT's loop code
// and its timing against the kernel (wxdp bench programs; the header walk with a variable count,
// loop_tcpopt, is in xdp_tcpopt.c):
//   loop_bytes    a byte loop over the first 128 bytes of the frame (fewer when the frame is shorter):
//                 sum += p[i] * (i + 1), then the sum and a packet count into a PERCPU_ARRAY. XDP_PASS.
//   loop_toeplitz nested bounded loops: the Toeplitz RSS hash (Microsoft RSS spec) of an IPv4 TCP/UDP
//                 frame's 12-byte 4-tuple, 8 bits a byte, under the spec's 40-byte sample key (.rodata);
//                 the hash into an ARRAY; queue = hash % 4 is the verdict's choice: XDP_DROP for queue 3.
//   loop_csum     bpf_loop callbacks: the IPv4 header checksum summed one 16-bit word per callback over
//                 a stack copy of the header (ihl * 2 words, options included); XDP_DROP when it does not
//                 fold to 0xffff, else XDP_PASS; the fold and bpf_loop's return into an ARRAY.
//   loop_acl      loops with map lookups inside: up to 16 rules of an ARRAY (`acl_rules`, installed by
//                 the configuration) matched in order against the IPv4 protocol and destination port, the
//                 first match's verdict taken and its hit counter (an ARRAY lookup again) bumped; then the
//                 source address tried as /32, /24, /16, /8 in a HASH (`acl_blocked`): a hit drops.
// Maps: PERCPU_ARRAY, ARRAY ×3, HASH. Helpers: bpf_map_lookup_elem, bpf_loop.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* ---- loop_bytes ---- */

struct byte_stat {
	__u64 packets;
	__u64 sum;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct byte_stat);
	__uint(max_entries, 1);
} byte_stats SEC(".maps");

SEC("xdp")
int loop_bytes(struct xdp_md *ctx)
{
	unsigned char *p = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u64 sum = 0;
	__u32 zero = 0;
	struct byte_stat *st;

	for (__u32 i = 0; i < 128; i++) {
		if ((void *)(p + i + 1) > end)
			break;
		sum += p[i] * (i + 1);
	}
	st = bpf_map_lookup_elem(&byte_stats, &zero);
	if (st) {
		st->packets++;
		st->sum += sum;
	}
	return XDP_PASS;
}

/* ---- loop_toeplitz ---- */

/* The Microsoft RSS verification suite's key, in .data: a frozen .rodata key would let the verifier
 * know every intermediate hash and follow each bit's two outcomes separately. */
__u8 rss_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
	0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
	0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} rss_hash SEC(".maps");

SEC("xdp")
int loop_toeplitz(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	__u8 tuple[12];
	__u32 hash = 0, window, zero = 0, *out;
	__u16 *ports;

	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->ihl < 5 || (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP))
		return XDP_PASS;
	ports = (void *)ip + ip->ihl * 4;
	if ((void *)(ports + 2) > end)
		return XDP_PASS;
	__builtin_memcpy(tuple, &ip->saddr, 4);
	__builtin_memcpy(tuple + 4, &ip->daddr, 4);
	__builtin_memcpy(tuple + 8, ports, 4);

	/* window = key bits [i, i + 32) as the input bit i is taken, most significant first */
	window = (__u32)rss_key[0] << 24 | (__u32)rss_key[1] << 16 | (__u32)rss_key[2] << 8 | rss_key[3];
#pragma clang loop unroll(disable)
	for (int i = 0; i < 12; i++) {
		__u8 next = rss_key[i + 4];

#pragma clang loop unroll(disable)
		for (int b = 7; b >= 0; b--) {
			if (tuple[i] & (1 << b))
				hash ^= window;
			window = window << 1 | ((next >> b) & 1);
		}
	}
	out = bpf_map_lookup_elem(&rss_hash, &zero);
	if (out)
		*out = hash;
	return hash % 4 == 3 ? XDP_DROP : XDP_PASS;
}

/* ---- loop_csum ---- */

struct csum_ctx {
	__u16 words[30]; /* a 60-byte header at most */
	__u32 sum;
};

struct csum_result {
	__u32 fold;
	__u32 loop_ret;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct csum_result);
	__uint(max_entries, 1);
} csum_results SEC(".maps");

static long csum_word(__u32 i, void *arg)
{
	struct csum_ctx *c = arg;

	if (i >= 30)
		return 1;
	c->sum += c->words[i];
	return 0;
}

SEC("xdp")
int loop_csum(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct csum_ctx c = {};
	struct csum_result *res;
	__u32 zero = 0, n, fold;
	long ret;

	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->ihl < 5)
		return XDP_PASS;
	n = ip->ihl * 2;
	/* copy the header word by word: the verifier needs every packet read in range */
	for (__u32 i = 0; i < 30; i++) {
		__u16 *w = (__u16 *)ip + i;

		if (i >= n || (void *)(w + 1) > end)
			break;
		c.words[i] = *w;
	}
	if ((void *)ip + n * 2 > end)
		return XDP_PASS;
	ret = bpf_loop(n, csum_word, &c, 0);
	fold = (c.sum & 0xffff) + (c.sum >> 16);
	fold = (fold & 0xffff) + (fold >> 16);
	res = bpf_map_lookup_elem(&csum_results, &zero);
	if (res) {
		res->fold = fold;
		res->loop_ret = ret;
	}
	return fold == 0xffff ? XDP_PASS : XDP_DROP;
}

/* ---- loop_acl ---- */

struct acl_rule {
	__u8 proto;   /* 0 ends the list */
	__u8 action;  /* XDP_DROP or XDP_PASS */
	__u16 port;   /* destination port, host order; 0 matches any */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct acl_rule);
	__uint(max_entries, 16);
} acl_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 17); /* per rule, then "no rule matched" */
} acl_hits SEC(".maps");

struct prefix_key {
	__u32 plen;
	__be32 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct prefix_key);
	__type(value, __u32);
	__uint(max_entries, 64);
} acl_blocked SEC(".maps");

SEC("xdp")
int loop_acl(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	__u16 *ports;
	__u16 dport = 0;
	__u32 hit = 16;
	int verdict = XDP_PASS;
	__u64 *count;

	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->ihl < 5)
		return XDP_PASS;
	ports = (void *)ip + ip->ihl * 4;
	if ((ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP) && (void *)(ports + 2) <= end)
		dport = bpf_ntohs(ports[1]);

	for (__u32 i = 0; i < 16; i++) {
		struct acl_rule *r = bpf_map_lookup_elem(&acl_rules, &i);

		if (!r || r->proto == 0)
			break;
		if (r->proto == ip->protocol && (r->port == 0 || r->port == dport)) {
			verdict = r->action;
			hit = i;
			break;
		}
	}
	count = bpf_map_lookup_elem(&acl_hits, &hit);
	if (count)
		*count += 1;

	for (int plen = 32; plen >= 8; plen -= 8) {
		struct prefix_key k = { .plen = plen, .addr = ip->saddr & bpf_htonl(~0u << (32 - plen)) };

		if (bpf_map_lookup_elem(&acl_blocked, &k))
			return XDP_DROP;
	}
	return verdict;
}

char LICENSE[] SEC("license") = "GPL";
