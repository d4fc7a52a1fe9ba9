// Accept: a program sets the mark of the conntrack entry bpf_xdp_ct_lookup found.
// XDP's btf_struct_access (nf_conntrack_btf_struct_access) lets a program write nf_conn's `mark`, and
// no other field, through the referenced pointer; the entry is released after.
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

struct bpf_ct_opts___v { __s32 netns_id; __s32 error; __u8 l4proto; __u8 dir; __u16 ct_zone_id; __u8 ct_zone_dir; __u8 reserved[3]; };
struct nf_conn { unsigned long status; __u32 mark; } __attribute__((preserve_access_index));
extern struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *, struct bpf_sock_tuple *, __u32, struct bpf_ct_opts___v *, __u32) __ksym;
extern void bpf_ct_release(struct nf_conn *) __ksym;

SEC("xdp")
int kfunc_ct_mark_write(struct xdp_md *ctx)
{
	struct bpf_sock_tuple tup = {};
	struct bpf_ct_opts___v opts = { .netns_id = -1, .l4proto = IPPROTO_TCP };
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &tup, sizeof(tup.ipv4), &opts, sizeof(opts));

	if (!ct)
		return XDP_PASS;
	ct->mark = 42;
	bpf_ct_release(ct);
	return XDP_DROP;
}

LICENSE;
