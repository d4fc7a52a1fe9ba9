// Reject: bpf_ct_set_nat_info given a NULL address.
// The kfunc is KF_TRUSTED_ARGS: none of its pointer arguments may be NULL.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_ct.h"

SEC("xdp")
int kfunc_ct_nat_null_addr(struct xdp_md *ctx)
{
	CT_DECLS;
	struct nf_conn *ct = bpf_xdp_ct_alloc(CT_ARGS);

	if (!ct)
		return XDP_PASS;
	bpf_ct_set_nat_info(ct, NULL, 0, NF_NAT_MANIP_SRC___v);
	ct = bpf_ct_insert_entry(ct);
	if (ct)
		bpf_ct_release(ct);
	return XDP_DROP;
}

LICENSE;
