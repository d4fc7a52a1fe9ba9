// Reject: an entry bpf_xdp_ct_lookup found, given to bpf_ct_insert_entry.
// A lookup returns an nf_conn (in the table already); the insert takes only an nf_conn___init.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_ct.h"

SEC("xdp")
int kfunc_ct_lookup_insert(struct xdp_md *ctx)
{
	CT_DECLS;
	struct nf_conn *ct = bpf_xdp_ct_lookup(CT_ARGS);

	if (!ct)
		return XDP_PASS;
	ct = bpf_ct_insert_entry(ct);
	if (ct)
		bpf_ct_release(ct);
	return XDP_DROP;
}

LICENSE;
