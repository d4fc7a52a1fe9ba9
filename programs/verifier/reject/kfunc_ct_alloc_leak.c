// Reject: an allocation neither inserted nor given back.
// bpf_xdp_ct_alloc is KF_ACQUIRE: its nf_conn___init must reach bpf_ct_insert_entry before exit.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_ct.h"

SEC("xdp")
int kfunc_ct_alloc_leak(struct xdp_md *ctx)
{
	CT_DECLS;

	if (bpf_xdp_ct_alloc(CT_ARGS))
		return XDP_DROP;
	return XDP_PASS;
}

LICENSE;
