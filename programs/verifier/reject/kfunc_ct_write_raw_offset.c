// Reject: a write into a conntrack entry at a fixed offset that is not its mark.
// XDP's btf_struct_access (nf_conntrack_btf_struct_access) lets a program write only nf_conn's mark
// and names any other offset as the instruction has it. The offset here is plain pointer arithmetic
// (no CO-RE relocation), so every verifier sees the same 8: in the kernel's struct nf_conn the
// timeout, in wxdp's layout (src/elf/core.ts WXDP_BTF) the status; in neither the mark. (A CO-RE
// write, ct->status = 1, is relocated against each verifier's own BTF, and each names its own
// layout's offset: the kernel's 128, wxdp's 8.)
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_ct.h"

SEC("xdp")
int kfunc_ct_write_raw_offset(struct xdp_md *ctx)
{
	CT_DECLS;
	struct nf_conn *ct = bpf_xdp_ct_lookup(CT_ARGS);

	if (!ct)
		return XDP_PASS;
	*(volatile __u32 *)((char *)ct + 8) = 1;
	bpf_ct_release(ct);
	return XDP_PASS;
}

LICENSE;
