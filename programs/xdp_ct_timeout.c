// xdp_ct_timeout: nf_conn's `timeout` as a program reads it (include/net/netfilter/nf_conntrack.h: u32
// jiffies; nf_ct_expires is `ct->timeout - nfct_time_stamp`), through CO-RE. A run that does not find
// the TCP entry 192.0.2.1:4660 → 198.51.100.2:80 allocates it (bpf_xdp_ct_alloc: the timeout relative,
// 10 s in jiffies), gives it 30 s (bpf_ct_set_timeout: still relative), inserts it (bpf_ct_insert_entry:
// made absolute, jiffies + timeout) and records what is left of it against bpf_jiffies64; a run that
// finds it records what is left, then changes it to 60 s (bpf_ct_change_timeout: absolute) and records
// again. Every answer goes to `res` (.bss).
//
// Maps: .bss. Helpers: bpf_jiffies64. kfuncs: bpf_xdp_ct_alloc, bpf_xdp_ct_lookup, bpf_ct_insert_entry,
// bpf_ct_release, bpf_ct_set_timeout, bpf_ct_change_timeout.
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct bpf_ct_opts___wx {
	__s32 netns_id;
	__s32 error;
	__u8 l4proto;
	__u8 dir;
	__u16 ct_zone_id;
	__u8 ct_zone_dir;
	__u8 reserved[3];
};

/* the kernel's nf_conn, as much of it as is read (CO-RE relocates the access onto the running kernel's) */
struct nf_conn {
	__u32 timeout;
} __attribute__((preserve_access_index));

extern struct nf_conn *bpf_xdp_ct_alloc(struct xdp_md *, struct bpf_sock_tuple *, __u32, struct bpf_ct_opts___wx *, __u32) __ksym;
extern struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *, struct bpf_sock_tuple *, __u32, struct bpf_ct_opts___wx *, __u32) __ksym;
extern struct nf_conn *bpf_ct_insert_entry(struct nf_conn *) __ksym;
extern void bpf_ct_release(struct nf_conn *) __ksym;
extern void bpf_ct_set_timeout(struct nf_conn *, __u32) __ksym;
extern int bpf_ct_change_timeout(struct nf_conn *, __u32) __ksym;

struct {
	__u32 found;		/* 1: the entry was in the table */
	/* a run that made it */
	__u32 alloc_timeout;	/* relative: 10 s */
	__u32 set_timeout;	/* relative: 30 s */
	__u32 inserted_timeout;	/* absolute */
	__u32 now;		/* bpf_jiffies64 after the insert (low 32 bits) */
	__s32 left_inserted;	/* inserted_timeout - now */
	/* a run that found it */
	__s32 left_found;
	__s32 change;		/* bpf_ct_change_timeout's answer */
	__s32 left_changed;
} res;

SEC("xdp")
int xdp_ct_timeout(struct xdp_md *ctx)
{
	struct bpf_ct_opts___wx o = { .netns_id = -1, .l4proto = IPPROTO_TCP };
	struct bpf_sock_tuple t;
	struct nf_conn *ct;

	__builtin_memset(&t, 0, sizeof(t));
	t.ipv4.saddr = bpf_htonl(0xc0000201);	/* 192.0.2.1 */
	t.ipv4.daddr = bpf_htonl(0xc6336402);	/* 198.51.100.2 */
	t.ipv4.sport = bpf_htons(4660);
	t.ipv4.dport = bpf_htons(80);

	ct = bpf_xdp_ct_lookup(ctx, &t, sizeof(t.ipv4), &o, sizeof(o));
	if (ct) {
		res.found = 1;
		res.left_found = (__s32)(ct->timeout - (__u32)bpf_jiffies64());
		res.change = bpf_ct_change_timeout(ct, 60000);
		res.left_changed = (__s32)(ct->timeout - (__u32)bpf_jiffies64());
		bpf_ct_release(ct);
		return XDP_PASS;
	}
	o.error = 0;
	ct = bpf_xdp_ct_alloc(ctx, &t, sizeof(t.ipv4), &o, sizeof(o));
	if (!ct)
		return XDP_ABORTED;
	res.alloc_timeout = ct->timeout;
	bpf_ct_set_timeout(ct, 30000);
	res.set_timeout = ct->timeout;
	ct = bpf_ct_insert_entry(ct);
	if (!ct)
		return XDP_DROP;
	res.inserted_timeout = ct->timeout;
	res.now = (__u32)bpf_jiffies64();
	res.left_inserted = (__s32)(res.inserted_timeout - res.now);
	bpf_ct_release(ct);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
