// Reject: arg:untrusted on a pointer to a pointer.
// btf_prepare_func_args: the target is neither void nor a primitive, so btf_get_ptr_to_btf_id looks
// for a kernel type of its name; a PTR has none, and bpf_core_find_cands refuses a nameless type:
// "arg#0 reference type('PTR (anon)') candidate matching error: -22" (-EINVAL).
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

__noinline int has_ptr(__u32 **p __arg_untrusted)
{
	return p != 0;
}

SEC("xdp")
int global_func_arg_untrusted_ptr_ptr(struct xdp_md *ctx)
{
	return has_ptr((void *)0) ? XDP_PASS : XDP_DROP;
}

LICENSE;
