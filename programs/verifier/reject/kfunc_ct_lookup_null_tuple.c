// Reject: bpf_xdp_ct_lookup given a NULL tuple (and size 0), as test_bpf_nf.c asks first.
// 6.18.44-fc-v1252 treats the conntrack kfuncs pointer arguments as trusted: "Possibly NULL pointer
// passed to trusted arg1" (EACCES), where 6.18 source accepts NULL (and the kfunc answers -EINVAL).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_ct.h"

SEC("xdp")
int kfunc_ct_lookup_null_tuple(struct xdp_md *ctx)
{
	struct bpf_ct_opts___v opts = { .netns_id = -1, .l4proto = IPPROTO_TCP };
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, NULL, 0, &opts, sizeof(opts));

	if (!ct)
		return XDP_PASS;
	bpf_ct_release(ct);
	return XDP_DROP;
}

LICENSE;
