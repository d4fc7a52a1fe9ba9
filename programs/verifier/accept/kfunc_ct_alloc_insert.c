// Accept: an entry allocated, shaped, inserted, then looked up, its timeout and status changed.
// bpf_xdp_ct_alloc's nf_conn___init goes to the set_* kfuncs (its mark written as nf_conn's may be),
// bpf_ct_insert_entry releases it and acquires the nf_conn, which the change_* kfuncs take and
// bpf_ct_release gives back; each reference is released on every path.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_ct.h"

SEC("xdp")
int kfunc_ct_alloc_insert(struct xdp_md *ctx)
{
	CT_DECLS;
	union nf_inet_addr___v a = { .ip = 0x0a7100cb };
	struct nf_conn *ct = bpf_xdp_ct_alloc(CT_ARGS), *lk;

	if (!ct)
		return XDP_PASS;
	bpf_ct_set_timeout(ct, 5000);
	bpf_ct_set_status(ct, 2);
	bpf_ct_set_nat_info(ct, &a, 8080, NF_NAT_MANIP_DST___v);
	ct->mark = 7;
	ct = bpf_ct_insert_entry(ct);
	if (!ct)
		return XDP_ABORTED;
	lk = bpf_xdp_ct_lookup(CT_ARGS);
	if (lk) {
		bpf_ct_change_timeout(lk, 20000);
		bpf_ct_change_status(lk, 6);
		bpf_ct_release(lk);
	}
	bpf_ct_release(ct);
	return XDP_DROP;
}

LICENSE;
