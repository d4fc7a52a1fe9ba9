// xdp_syncookie: what a SYN proxy asks of the kernel, as bpf-examples' xdp-synproxy asks it. For each
// TCP frame (IPv4 or IPv6, no VLAN): bpf_xdp_ct_lookup of its tuple (opts of 6.18's 16 bytes), the
// entry's status read through CO-RE (struct nf_conn's `status`) and released; then for a SYN
// bpf_tcp_raw_gen_syncookie_ipv4/ipv6 over the frame's IP header and a stack copy of its TCP header
// (options included), and bpf_tcp_raw_check_syncookie_* of two ACKs built on the stack from it: one
// answering with cookie + 1 (valid), one whose cookie is 5 minutes in the future (refused). An ACK frame's
// own cookie is checked as it is (XDP_PASS when valid, XDP_DROP when not). Everything recorded in
// `facts` does not depend on the per-boot secret; the cookie itself goes to `cookies` (not recorded), for
// tests that know wxdp's secret.
//
// xdp_ct_errs: the kfunc's and the helpers' answers to bad input, one slot of `errs` each (see ERR_*).
//
// Maps: ARRAY facts (2: IPv4, IPv6), ARRAY cookies (2), ARRAY errs (16). Helpers: 204–207,
// bpf_xdp_load_bytes; kfuncs bpf_xdp_ct_lookup, bpf_ct_release.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ENOENT 2
#define BPF_F_CURRENT_NETNS (-1)

struct bpf_ct_opts___wx {
	__s32 netns_id;
	__s32 error;
	__u8 l4proto;
	__u8 dir;
	__u16 ct_zone_id;
	__u8 ct_zone_dir;
	__u8 reserved[3];
};

struct nf_conn {
	unsigned long status;
} __attribute__((preserve_access_index));

extern struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *xdp_ctx, struct bpf_sock_tuple *bpf_tuple, __u32 tuple__sz,
					 struct bpf_ct_opts___wx *opts, __u32 opts__sz) __ksym;
extern void bpf_ct_release(struct nf_conn *ct) __ksym;

struct sc_facts {
	__s32 ct_error;   /* opts.error after the lookup (0: found) */
	__u32 ct_dir;     /* opts.dir of a hit */
	__u32 ct_status;  /* the entry's IPS_* bits of a hit */
	__u32 mss;        /* the MSS the SYN's cookie encodes (the helper's upper 32 bits) */
	__s32 gen_rc;     /* the gen helper's error (0: a cookie) */
	__s32 check_ok;   /* the ACK answering the cookie */
	__s32 check_future; /* that ACK with the cookie's minute counter 5 ahead */
	__s32 check_frame;  /* an ACK frame's own cookie */
	__u32 syns, acks;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct sc_facts);
	__uint(max_entries, 2);
} facts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 2);
} cookies SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __s64);
	__uint(max_entries, 16);
} errs SEC(".maps");

static __always_inline int ct_probe(struct xdp_md *ctx, struct bpf_sock_tuple *tup, __u32 tup_sz, struct sc_facts *f)
{
	struct bpf_ct_opts___wx opts = { .netns_id = BPF_F_CURRENT_NETNS, .l4proto = IPPROTO_TCP };
	struct nf_conn *ct;

	ct = bpf_xdp_ct_lookup(ctx, tup, tup_sz, &opts, sizeof(opts));
	f->ct_error = opts.error;
	if (ct) {
		f->ct_dir = opts.dir;
		f->ct_status = ct->status;
		bpf_ct_release(ct);
		return 1;
	}
	return 0;
}

/* One family's TCP frame: `iph` its IP header (20 / 40 bytes proven), the TCP header at `l4`. */
static __always_inline int tcp_frame(struct xdp_md *ctx, void *iph, const int v6, __u32 l4)
{
	struct bpf_sock_tuple tup = {};
	struct tcphdr th[3] = {};
	__u8 opts[40] = {};
	struct sc_facts *f;
	__u32 key = v6, tup_sz, len;
	__s64 v;

	if (v6) {
		struct ipv6hdr *ip6 = iph;
		__builtin_memcpy(tup.ipv6.saddr, &ip6->saddr, 16);
		__builtin_memcpy(tup.ipv6.daddr, &ip6->daddr, 16);
		tup_sz = sizeof(tup.ipv6);
	} else {
		struct iphdr *ip4 = iph;
		tup.ipv4.saddr = ip4->saddr;
		tup.ipv4.daddr = ip4->daddr;
		tup_sz = sizeof(tup.ipv4);
	}
	/* the TCP header, then its options, copied to the stack */
	if (bpf_xdp_load_bytes(ctx, l4, &th[0], sizeof(th[0])))
		return XDP_DROP;
	len = th[0].doff * 4;
	if (len < sizeof(th[0]) || len > 60)
		return XDP_DROP;
	if (len > sizeof(th[0]) && bpf_xdp_load_bytes(ctx, l4 + sizeof(th[0]), opts, len - sizeof(th[0])))
		return XDP_DROP;
	if (v6) {
		tup.ipv6.sport = th[0].source;
		tup.ipv6.dport = th[0].dest;
	} else {
		tup.ipv4.sport = th[0].source;
		tup.ipv4.dport = th[0].dest;
	}
	f = bpf_map_lookup_elem(&facts, &key);
	if (!f)
		return XDP_ABORTED;
	if (ct_probe(ctx, &tup, tup_sz, f))
		return XDP_PASS;

	if (th[0].syn && !th[0].ack) {
		/* the header and its options side by side on the stack: gen reads len bytes of it */
		struct {
			struct tcphdr h;
			__u8 o[40];
		} syn;
		__builtin_memcpy(&syn.h, &th[0], sizeof(syn.h));
		__builtin_memcpy(syn.o, opts, sizeof(opts));
		f->syns++;
		v = v6 ? bpf_tcp_raw_gen_syncookie_ipv6(iph, &syn.h, len) : bpf_tcp_raw_gen_syncookie_ipv4(iph, &syn.h, len);
		if (v < 0) {
			f->gen_rc = v;
			return XDP_DROP;
		}
		f->gen_rc = 0;
		f->mss = v >> 32;
		bpf_map_update_elem(&cookies, &key, &(__u32){ (__u32)v }, BPF_ANY);
		/* the client's ACK: seq + 1, ack_seq = cookie + 1 */
		th[1] = th[0];
		th[1].syn = 0;
		th[1].ack = 1;
		th[1].doff = 5;
		th[1].seq = bpf_htonl(bpf_ntohl(th[0].seq) + 1);
		th[1].ack_seq = bpf_htonl((__u32)v + 1);
		th[2] = th[1];
		th[2].ack_seq = bpf_htonl((__u32)v + 1 + (5u << 24));
		f->check_ok = v6 ? bpf_tcp_raw_check_syncookie_ipv6(iph, &th[1]) : bpf_tcp_raw_check_syncookie_ipv4(iph, &th[1]);
		f->check_future = v6 ? bpf_tcp_raw_check_syncookie_ipv6(iph, &th[2]) : bpf_tcp_raw_check_syncookie_ipv4(iph, &th[2]);
		return XDP_TX;
	}
	if (th[0].ack && !th[0].syn && !th[0].rst) {
		f->acks++;
		f->check_frame = v6 ? bpf_tcp_raw_check_syncookie_ipv6(iph, &th[0]) : bpf_tcp_raw_check_syncookie_ipv4(iph, &th[0]);
		return f->check_frame ? XDP_DROP : XDP_PASS;
	}
	return XDP_PASS;
}

SEC("xdp")
int xdp_syncookie(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip4 = (void *)(eth + 1);

		if ((void *)(ip4 + 1) > data_end || ip4->protocol != IPPROTO_TCP || ip4->ihl < 5)
			return XDP_PASS;
		return tcp_frame(ctx, ip4, 0, sizeof(*eth) + ip4->ihl * 4);
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end || ip6->nexthdr != IPPROTO_TCP)
			return XDP_PASS;
		return tcp_frame(ctx, ip6, 1, sizeof(*eth) + sizeof(*ip6));
	}
	return XDP_PASS;
}

/* errs slots */
#define ERR_OPTS_SZ 0      /* opts__sz 8 */
#define ERR_RESERVED 1     /* 16-byte opts, reserved[1] = 1 */
#define ERR_ZONE_OLD 2     /* 12-byte opts with ct_zone_id (old reserved[0..1]) not 0 */
#define ERR_PROTO 3        /* l4proto ICMP */
#define ERR_NETNS_NEG 4    /* netns_id -2 */
#define ERR_TUPLE_SZ 5     /* tuple__sz 20 */
#define ERR_NETNS_ID 6     /* netns_id 7 (no such id) */
#define ERR_MISS_OLD 7     /* a valid 12-byte lookup of an absent tuple */
#define ERR_MISS 8         /* a valid 16-byte lookup of an absent UDP tuple */
#define ERR_GEN_SHORT 9    /* gen with th_len 16 */
#define ERR_GEN_DOFF 10    /* gen with th_len 24 and doff 5 */
#define ERR_GEN_NOMSS 11   /* gen of a SYN without options: the MSS (upper 32 bits) */
#define ERR_GEN6_NOMSS 12  /* gen6 of a SYN without options: the MSS */
#define ERR_CHECK_ZERO 13  /* check of an all-zero ACK */
#define ERR_GEN_SMALLMSS 14 /* gen of a SYN with MSS 100: the MSS */
#define ERR_GEN6_BIGMSS 15 /* gen6 of a SYN with MSS 9000: the MSS */

static __always_inline void put(__u32 slot, __s64 v)
{
	bpf_map_update_elem(&errs, &slot, &v, BPF_ANY);
}

static __always_inline __s64 lookup_err(struct xdp_md *ctx, struct bpf_sock_tuple *tup, __u32 tup_sz,
					struct bpf_ct_opts___wx *o, __u32 o_sz)
{
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, tup, tup_sz, o, o_sz);

	if (ct) {
		bpf_ct_release(ct);
		return 1;
	}
	return o->error;
}

SEC("xdp")
int xdp_ct_errs(struct xdp_md *ctx)
{
	struct bpf_sock_tuple tup = {};
	struct bpf_ct_opts___wx o;
	struct iphdr ip = { .version = 4, .ihl = 5, .saddr = bpf_htonl(0xc0000202), .daddr = bpf_htonl(0xc6336402) };
	struct ipv6hdr ip6 = { .version = 6, .nexthdr = IPPROTO_TCP };
	struct {
		struct tcphdr h;
		__u8 o[4];
	} t = {};

	tup.ipv4.saddr = bpf_htonl(0xc0000202);
	tup.ipv4.daddr = bpf_htonl(0xc6336402);
	tup.ipv4.sport = bpf_htons(40000);
	tup.ipv4.dport = bpf_htons(9);

	__builtin_memset(&o, 0, sizeof(o)); o.netns_id = -1; o.l4proto = IPPROTO_TCP;
	put(ERR_OPTS_SZ, lookup_err(ctx, &tup, sizeof(tup.ipv4), &o, 8));
	__builtin_memset(&o, 0, sizeof(o)); o.netns_id = -1; o.l4proto = IPPROTO_TCP; o.reserved[1] = 1;
	put(ERR_RESERVED, lookup_err(ctx, &tup, sizeof(tup.ipv4), &o, sizeof(o)));
	__builtin_memset(&o, 0, sizeof(o)); o.netns_id = -1; o.l4proto = IPPROTO_TCP; o.ct_zone_id = 1;
	put(ERR_ZONE_OLD, lookup_err(ctx, &tup, sizeof(tup.ipv4), &o, 12));
	__builtin_memset(&o, 0, sizeof(o)); o.netns_id = -1; o.l4proto = IPPROTO_ICMP;
	put(ERR_PROTO, lookup_err(ctx, &tup, sizeof(tup.ipv4), &o, sizeof(o)));
	__builtin_memset(&o, 0, sizeof(o)); o.netns_id = -2; o.l4proto = IPPROTO_TCP;
	put(ERR_NETNS_NEG, lookup_err(ctx, &tup, sizeof(tup.ipv4), &o, sizeof(o)));
	__builtin_memset(&o, 0, sizeof(o)); o.netns_id = -1; o.l4proto = IPPROTO_TCP;
	put(ERR_TUPLE_SZ, lookup_err(ctx, &tup, 20, &o, sizeof(o)));
	__builtin_memset(&o, 0, sizeof(o)); o.netns_id = 7; o.l4proto = IPPROTO_TCP;
	put(ERR_NETNS_ID, lookup_err(ctx, &tup, sizeof(tup.ipv4), &o, sizeof(o)));
	__builtin_memset(&o, 0, sizeof(o)); o.netns_id = -1; o.l4proto = IPPROTO_TCP;
	put(ERR_MISS_OLD, lookup_err(ctx, &tup, sizeof(tup.ipv4), &o, 12));
	__builtin_memset(&o, 0, sizeof(o)); o.netns_id = -1; o.l4proto = IPPROTO_UDP;
	put(ERR_MISS, lookup_err(ctx, &tup, sizeof(tup.ipv4), &o, sizeof(o)));

	t.h.source = bpf_htons(40000);
	t.h.dest = bpf_htons(9);
	t.h.seq = bpf_htonl(1000);
	t.h.syn = 1;
	t.h.doff = 5;
	put(ERR_GEN_SHORT, bpf_tcp_raw_gen_syncookie_ipv4(&ip, &t.h, 16));
	put(ERR_GEN_DOFF, bpf_tcp_raw_gen_syncookie_ipv4(&ip, &t.h, 24));
	put(ERR_GEN_NOMSS, bpf_tcp_raw_gen_syncookie_ipv4(&ip, &t.h, 20) >> 32);
	put(ERR_GEN6_NOMSS, bpf_tcp_raw_gen_syncookie_ipv6(&ip6, &t.h, 20) >> 32);
	/* MSS options: kind 2, length 4, the value */
	t.h.doff = 6;
	t.o[0] = 2; t.o[1] = 4; t.o[2] = 0; t.o[3] = 100;
	put(ERR_GEN_SMALLMSS, bpf_tcp_raw_gen_syncookie_ipv4(&ip, &t.h, 24) >> 32);
	t.o[2] = 9000 >> 8; t.o[3] = 9000 & 0xff;
	put(ERR_GEN6_BIGMSS, bpf_tcp_raw_gen_syncookie_ipv6(&ip6, &t.h, 24) >> 32);
	__builtin_memset(&t, 0, sizeof(t));
	put(ERR_CHECK_ZERO, bpf_tcp_raw_check_syncookie_ipv4(&ip, &t.h));
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
