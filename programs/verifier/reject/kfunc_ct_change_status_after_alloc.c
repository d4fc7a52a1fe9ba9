// Reject: bpf_ct_change_status on an allocation not inserted yet.
// bpf_ct_change_status (KF_TRUSTED_ARGS) acts on an entry in the table: it takes an nf_conn, and bpf_xdp_ct_alloc
// returned an nf_conn___init.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_ct.h"

SEC("xdp")
int kfunc_ct_change_status_after_alloc(struct xdp_md *ctx)
{
	CT_DECLS;
	struct nf_conn *ct = bpf_xdp_ct_alloc(CT_ARGS);

	if (!ct)
		return XDP_PASS;
	bpf_ct_change_status(ct, 0);
	ct = bpf_ct_insert_entry(ct);
	if (ct)
		bpf_ct_release(ct);
	return XDP_DROP;
}

LICENSE;
