// Reject: arg:trusted on a pointer to a struct the kernel does not have.
// btf_prepare_func_args -> btf_get_ptr_to_btf_id: a trusted argument points to the kernel type of the
// same name (bpf_core_find_cands); none: "arg#0 reference type('STRUCT wxdp_no_such_type') has no
// matches" (ENOENT), then "Caller passes invalid args into func#1".
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

struct wxdp_no_such_type {
	__u32 id;
};

__noinline int id_of(struct wxdp_no_such_type *t __arg_trusted)
{
	return t ? 1 : 0;
}

SEC("xdp")
int global_func_arg_trusted_unknown(struct xdp_md *ctx)
{
	return id_of((void *)0) ? XDP_PASS : XDP_DROP;
}

LICENSE;
