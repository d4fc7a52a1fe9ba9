// xdp_ct_alloc: a conntrack entry made by an XDP program, as the BPF selftests' test_bpf_nf.c makes one
// (net/netfilter/nf_conntrack_bpf.c, nf_nat_bpf.c): bpf_xdp_ct_alloc's answers to bad input (its checks'
// order differs from the lookup's: netns_id before l4proto), then a TCP entry 192.0.2.1:4660 →
// 198.51.100.2:80 allocated, shaped (bpf_ct_set_timeout 30 s, bpf_ct_set_status ASSURED, and one
// refused; source NAT to 203.0.113.7:1024 by bpf_ct_set_nat_info; the mark written), inserted (bpf_ct_insert_entry), looked up by its original tuple and by its translated reply
// tuple (the reply tuple read through CO-RE), its timeout and status changed (bpf_ct_change_timeout,
// bpf_ct_change_status, one refused); the same tuple allocated again, whose insert fails (-EEXIST inside:
// NULL); an IPv6 UDP entry in zone 7 of the original direction only (ct_zone_dir 1), found in zone 7,
// not in the default zone nor with 12-byte opts. A second run on the same table finds the first run's
// entries: its inserts fail. Every answer goes to `res` (.bss); the entries stay in the table for
// `conntrack -L` (tests/nf/ct_alloc.test.ts compares both with the kernel's in a namespace).
//
// Maps: .bss. kfuncs: bpf_xdp_ct_alloc, bpf_xdp_ct_lookup, bpf_ct_insert_entry, bpf_ct_release,
// bpf_ct_set_timeout, bpf_ct_change_timeout, bpf_ct_set_status, bpf_ct_change_status, bpf_ct_set_nat_info.
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define IPS_SEEN_REPLY (1 << 1)
#define IPS_ASSURED (1 << 2)
#define IPS_CONFIRMED (1 << 3)

struct bpf_ct_opts___wx {
	__s32 netns_id;
	__s32 error;
	__u8 l4proto;
	__u8 dir;
	__u16 ct_zone_id;
	__u8 ct_zone_dir;
	__u8 reserved[3];
};

/* the kernel's types, as much of them as is read (CO-RE relocates each access onto the running kernel's) */
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
union nf_inet_addr {
	__u32 all[4];
	__be32 ip;
	__be32 ip6[4];
};
union nf_conntrack_man_proto {
	__be16 all;
};
struct nf_conntrack_man {
	union nf_inet_addr u3;
	union nf_conntrack_man_proto u;
	__u16 l3num;
};
struct nf_conntrack_tuple {
	struct nf_conntrack_man src;
	struct {
		union nf_inet_addr u3;
		union nf_conntrack_man_proto u;
		__u8 protonum;
		__u8 dir;
	} dst;
};
struct nf_conntrack_tuple_hash {
	struct nf_conntrack_tuple tuple;
};
struct nf_conn {
	unsigned long status;
	__u32 mark;
	struct nf_conntrack_tuple_hash tuplehash[2];
};
#pragma clang attribute pop
enum nf_nat_manip_type { NF_NAT_MANIP_SRC, NF_NAT_MANIP_DST };

extern struct nf_conn *bpf_xdp_ct_alloc(struct xdp_md *, struct bpf_sock_tuple *, __u32, struct bpf_ct_opts___wx *, __u32) __ksym;
extern struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *, struct bpf_sock_tuple *, __u32, struct bpf_ct_opts___wx *, __u32) __ksym;
extern struct nf_conn *bpf_ct_insert_entry(struct nf_conn *) __ksym;
extern void bpf_ct_release(struct nf_conn *) __ksym;
extern void bpf_ct_set_timeout(struct nf_conn *, __u32) __ksym;
extern int bpf_ct_change_timeout(struct nf_conn *, __u32) __ksym;
extern int bpf_ct_set_status(struct nf_conn *, __u32) __ksym;
extern int bpf_ct_change_status(struct nf_conn *, __u32) __ksym;
extern int bpf_ct_set_nat_info(struct nf_conn *, union nf_inet_addr *, int, enum nf_nat_manip_type) __ksym;

struct {
	/* bpf_xdp_ct_alloc's errors: opts__sz 8, reserved[0] 1, netns_id -2 with l4proto ICMP, l4proto
	 * ICMP, tuple__sz 11, netns_id 5, ct_zone_id in 12-byte opts */
	__s32 alloc_err[7];
	/* the TCP entry */
	__s32 alloc_ok;			/* 1: allocated */
	__s32 set_status;		/* ASSURED: 0 */
	__s32 set_status_confirmed;	/* CONFIRMED: -EBUSY */
	__s32 snat;			/* 0 */
	__s32 insert_ok;		/* 1: inserted */
	__s32 lookup_err;		/* opts.error of the lookup (0 when found) */
	__u32 lookup_dir;
	__u32 status;			/* as inserted */
	__u32 mark;
	__be32 reply_dst;		/* the reply tuple's destination: the translated source */
	__be16 reply_dport;
	__u16 pad;
	__s32 change_status;		/* CONFIRMED | ASSURED | SEEN_REPLY: 0, SEEN_REPLY added */
	__s32 change_status_clear;	/* 0 (CONFIRMED cleared): -EBUSY */
	__u32 status_after;
	__s32 change_timeout;		/* 0 */
	__s32 reply_lookup_err;
	__u32 reply_lookup_dir;
	__s32 realloc_ok;		/* 1 */
	__s32 reinsert_ok;		/* 0: the tuple is in the table */
	/* the IPv6 UDP entry in zone 7, original direction */
	__s32 zone_alloc_ok;
	__u8 zone_dir_after;		/* opts.ct_zone_dir after the alloc (1) */
	__u8 pad2[3];
	__s32 zone_insert_ok;
	__s32 zone_lookup_err;
	__s32 zone0_lookup_err;
	__s32 opts12_lookup_err;
	__u8 lookup_zone_dir_default;	/* ct_zone_dir 0 written back as NF_CT_DEFAULT_ZONE_DIR (3) */
	__u8 pad3[3];
} res;

static __always_inline void tcp_tuple(struct bpf_sock_tuple *t)
{
	__builtin_memset(t, 0, sizeof(*t));
	t->ipv4.saddr = bpf_htonl(0xc0000201);	/* 192.0.2.1 */
	t->ipv4.daddr = bpf_htonl(0xc6336402);	/* 198.51.100.2 */
	t->ipv4.sport = bpf_htons(4660);
	t->ipv4.dport = bpf_htons(80);
}

static __always_inline int alloc_error(struct xdp_md *ctx, struct bpf_sock_tuple *t, __u32 tlen,
				       struct bpf_ct_opts___wx *o, __u32 olen)
{
	struct nf_conn *ct = bpf_xdp_ct_alloc(ctx, t, tlen, o, olen);

	if (ct) {
		/* not expected: inserted so that the reference goes */
		ct = bpf_ct_insert_entry(ct);
		if (ct)
			bpf_ct_release(ct);
		return 1;
	}
	return o->error;
}

SEC("xdp")
int xdp_ct_alloc(struct xdp_md *ctx)
{
	struct bpf_ct_opts___wx o = { .netns_id = -1, .l4proto = IPPROTO_TCP };
	struct bpf_sock_tuple t;
	struct nf_conn *ct, *lk;
	union nf_inet_addr a = {};

	tcp_tuple(&t);
	res.alloc_err[0] = alloc_error(ctx, &t, sizeof(t.ipv4), &o, 8);
	o.reserved[0] = 1;
	res.alloc_err[1] = alloc_error(ctx, &t, sizeof(t.ipv4), &o, sizeof(o));
	o.reserved[0] = 0;
	o.netns_id = -2;
	o.l4proto = IPPROTO_ICMP;
	res.alloc_err[2] = alloc_error(ctx, &t, sizeof(t.ipv4), &o, sizeof(o));
	o.netns_id = -1;
	res.alloc_err[3] = alloc_error(ctx, &t, sizeof(t.ipv4), &o, sizeof(o));
	o.l4proto = IPPROTO_TCP;
	res.alloc_err[4] = alloc_error(ctx, &t, sizeof(t.ipv4) - 1, &o, sizeof(o));
	o.netns_id = 5;
	res.alloc_err[5] = alloc_error(ctx, &t, sizeof(t.ipv4), &o, sizeof(o));
	o.netns_id = -1;
	o.ct_zone_id = 3;
	res.alloc_err[6] = alloc_error(ctx, &t, sizeof(t.ipv4), &o, 12);
	o.ct_zone_id = 0;

	ct = bpf_xdp_ct_alloc(ctx, &t, sizeof(t.ipv4), &o, sizeof(o));
	if (!ct)
		return XDP_ABORTED;
	res.alloc_ok = 1;
	bpf_ct_set_timeout(ct, 30000);
	res.set_status = bpf_ct_set_status(ct, IPS_ASSURED);
	res.set_status_confirmed = bpf_ct_set_status(ct, IPS_CONFIRMED);
	a.ip = bpf_htonl(0xcb007107);		/* 203.0.113.7 */
	res.snat = bpf_ct_set_nat_info(ct, &a, 1024, NF_NAT_MANIP_SRC);
	ct->mark = 0x77;
	ct = bpf_ct_insert_entry(ct);
	if (ct) {
		res.insert_ok = 1;
		bpf_ct_release(ct);
	}

	o.error = 0;
	lk = bpf_xdp_ct_lookup(ctx, &t, sizeof(t.ipv4), &o, sizeof(o));
	res.lookup_err = o.error;
	if (lk) {
		res.lookup_dir = o.dir;
		res.status = lk->status;
		res.mark = lk->mark;
		res.reply_dst = lk->tuplehash[1].tuple.dst.u3.ip;
		res.reply_dport = lk->tuplehash[1].tuple.dst.u.all;
		res.change_status = bpf_ct_change_status(lk, IPS_CONFIRMED | IPS_ASSURED | IPS_SEEN_REPLY);
		res.change_status_clear = bpf_ct_change_status(lk, 0);
		res.status_after = lk->status;
		res.change_timeout = bpf_ct_change_timeout(lk, 60000);
		bpf_ct_release(lk);
	}

	/* the reply as it comes back to the translated source */
	{
		struct bpf_sock_tuple r = {};

		r.ipv4.saddr = t.ipv4.daddr;
		r.ipv4.daddr = a.ip;
		r.ipv4.sport = t.ipv4.dport;
		r.ipv4.dport = bpf_htons(1024);
		o.error = 0;
		lk = bpf_xdp_ct_lookup(ctx, &r, sizeof(r.ipv4), &o, sizeof(o));
		res.reply_lookup_err = o.error;
		if (lk) {
			res.reply_lookup_dir = o.dir;
			bpf_ct_release(lk);
		}
	}

	ct = bpf_xdp_ct_alloc(ctx, &t, sizeof(t.ipv4), &o, sizeof(o));
	if (ct) {
		res.realloc_ok = 1;
		ct = bpf_ct_insert_entry(ct);
		if (ct) {
			res.reinsert_ok = 1;
			bpf_ct_release(ct);
		}
	}

	/* IPv6 UDP, zone 7 of the original direction */
	{
		struct bpf_sock_tuple s = {};
		struct bpf_ct_opts___wx z = { .netns_id = -1, .l4proto = IPPROTO_UDP, .ct_zone_id = 7, .ct_zone_dir = 1 };

		s.ipv6.saddr[0] = bpf_htonl(0x20010db8);
		s.ipv6.saddr[3] = bpf_htonl(1);
		s.ipv6.daddr[0] = bpf_htonl(0x20010db8);
		s.ipv6.daddr[1] = bpf_htonl(0x00010000);
		s.ipv6.daddr[3] = bpf_htonl(2);
		s.ipv6.sport = bpf_htons(5353);
		s.ipv6.dport = bpf_htons(53);
		ct = bpf_xdp_ct_alloc(ctx, &s, sizeof(s.ipv6), &z, sizeof(z));
		if (ct) {
			res.zone_alloc_ok = 1;
			res.zone_dir_after = z.ct_zone_dir;
			ct = bpf_ct_insert_entry(ct);
			if (ct) {
				res.zone_insert_ok = 1;
				bpf_ct_release(ct);
			}
		}
		z.error = 0;
		lk = bpf_xdp_ct_lookup(ctx, &s, sizeof(s.ipv6), &z, sizeof(z));
		res.zone_lookup_err = z.error;
		if (lk)
			bpf_ct_release(lk);
		z.ct_zone_id = 0;
		z.ct_zone_dir = 0;
		z.error = 0;
		lk = bpf_xdp_ct_lookup(ctx, &s, sizeof(s.ipv6), &z, sizeof(z));
		res.zone0_lookup_err = z.error;
		res.lookup_zone_dir_default = z.ct_zone_dir;
		if (lk)
			bpf_ct_release(lk);
		z.error = 0;
		lk = bpf_xdp_ct_lookup(ctx, &s, sizeof(s.ipv6), &z, 12);
		res.opts12_lookup_err = z.error;
		if (lk)
			bpf_ct_release(lk);
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
