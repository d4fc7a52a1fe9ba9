// Reject: bpf_ct_set_timeout on an entry already inserted.
// bpf_ct_set_timeout (KF_TRUSTED_ARGS) shapes an allocation before its insert: it takes an nf_conn___init, and
// the insert returned an nf_conn.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_ct.h"

SEC("xdp")
int kfunc_ct_set_timeout_after_insert(struct xdp_md *ctx)
{
	CT_DECLS;
	struct nf_conn *ct = bpf_xdp_ct_alloc(CT_ARGS);

	if (!ct)
		return XDP_PASS;
	ct = bpf_ct_insert_entry(ct);
	if (!ct)
		return XDP_PASS;
	bpf_ct_set_timeout(ct, 0);
	bpf_ct_release(ct);
	return XDP_DROP;
}

LICENSE;
