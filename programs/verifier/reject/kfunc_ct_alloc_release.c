// Reject: an entry bpf_xdp_ct_alloc made, given to bpf_ct_release.
// The allocation is a struct nf_conn___init: bpf_ct_release (KF_RELEASE, a strict type match) takes an
// nf_conn only; the new entry can only be inserted (bpf_ct_insert_entry), which releases it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_ct.h"

SEC("xdp")
int kfunc_ct_alloc_release(struct xdp_md *ctx)
{
	CT_DECLS;
	struct nf_conn *ct = bpf_xdp_ct_alloc(CT_ARGS);

	if (!ct)
		return XDP_PASS;
	bpf_ct_release(ct);
	return XDP_DROP;
}

LICENSE;
