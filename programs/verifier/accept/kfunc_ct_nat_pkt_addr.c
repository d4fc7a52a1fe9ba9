// Accept: bpf_ct_set_nat_info given an address in the packet.
// The address is KF_ARG_PTR_TO_MEM (union nf_inet_addr, 16 bytes), checked as helper memory
// (check_mem_reg): a packet pointer with 16 bytes in its checked range is as good as the stack.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_ct.h"

SEC("xdp")
int kfunc_ct_nat_pkt_addr(struct xdp_md *ctx)
{
	CT_DECLS;
	__u8 *data = (__u8 *)(long)ctx->data;
	__u8 *end = (__u8 *)(long)ctx->data_end;
	struct nf_conn *ct;

	if (data + 16 > end)
		return XDP_PASS;
	ct = bpf_xdp_ct_alloc(CT_ARGS);
	if (!ct)
		return XDP_PASS;
	bpf_ct_set_nat_info(ct, (void *)data, 0, NF_NAT_MANIP_SRC___v);
	ct = bpf_ct_insert_entry(ct);
	if (ct)
		bpf_ct_release(ct);
	return XDP_DROP;
}

LICENSE;
