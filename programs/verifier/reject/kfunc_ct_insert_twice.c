// Reject: the entry bpf_ct_insert_entry returned, inserted again.
// The insert (KF_ACQUIRE | KF_RELEASE) returns an nf_conn, no longer an nf_conn___init: a second insert
// is a type mismatch.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_ct.h"

SEC("xdp")
int kfunc_ct_insert_twice(struct xdp_md *ctx)
{
	CT_DECLS;
	struct nf_conn *ct = bpf_xdp_ct_alloc(CT_ARGS);

	if (!ct)
		return XDP_PASS;
	ct = bpf_ct_insert_entry(ct);
	if (!ct)
		return XDP_PASS;
	ct = bpf_ct_insert_entry(ct);
	if (ct)
		bpf_ct_release(ct);
	return XDP_DROP;
}

LICENSE;
