// Reject: NULL passed as bpf_xdp_ct_lookup's ctx.
// This kernel treats the conntrack lookup's pointers as trusted: a NULL one is refused before its type is looked at (EACCES).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_ct.h"

SEC("xdp")
int kfunc_ct_null_ctx(struct xdp_md *ctx)
{
	CT_DECLS;
	struct nf_conn *c = bpf_xdp_ct_lookup((void *)(long)(ctx->rx_queue_index & 0), &tup, sizeof(tup.ipv4), &opts, sizeof(opts));

	if (c)
		bpf_ct_release(c);
	return XDP_PASS;
}

LICENSE;
