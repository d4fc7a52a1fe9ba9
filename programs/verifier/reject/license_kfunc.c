// Reject: a kfunc (bpf_xdp_ct_lookup) called by a program whose license is not GPL-compatible.
// "GPL-2.0" is an SPDX name, not one of the kernel's six strings: kfuncs are refused before the walk
// (add_subprog_and_kfunc: "processed 0 insns"), where the program is otherwise correct.
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

struct bpf_ct_opts___v { __s32 netns_id; __s32 error; __u8 l4proto; __u8 dir; __u16 ct_zone_id; __u8 ct_zone_dir; __u8 reserved[3]; };
struct nf_conn { unsigned long status; } __attribute__((preserve_access_index));
extern struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *, struct bpf_sock_tuple *, __u32, struct bpf_ct_opts___v *, __u32) __ksym;
extern void bpf_ct_release(struct nf_conn *) __ksym;

SEC("xdp")
int license_kfunc(struct xdp_md *ctx)
{
	struct bpf_sock_tuple tup = {};
	struct bpf_ct_opts___v opts = { .netns_id = -1, .l4proto = IPPROTO_TCP };
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &tup, sizeof(tup.ipv4), &opts, sizeof(opts));

	if (!ct)
		return XDP_PASS;
	bpf_ct_release(ct);
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL-2.0";
