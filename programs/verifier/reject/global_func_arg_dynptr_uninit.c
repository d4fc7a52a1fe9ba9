// Reject: stack bytes that hold no dynptr passed to a global function's `struct bpf_dynptr *`.
// btf_check_func_arg_match -> process_dynptr_func (ARG_PTR_TO_DYNPTR | MEM_RDONLY): the stack slots
// must hold an initialised dynptr: "Expected an initialized dynptr as arg #0", at the call:
// "Caller passes invalid args into func#1".
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

extern __u32 bpf_dynptr_size(const struct bpf_dynptr *p) __ksym;

__noinline int size_of(const struct bpf_dynptr *p)
{
	return bpf_dynptr_size(p);
}

SEC("xdp")
int global_func_arg_dynptr_uninit(struct xdp_md *ctx)
{
	struct bpf_dynptr frame;

	__builtin_memset(&frame, 0, sizeof(frame));
	return size_of(&frame) ? XDP_PASS : XDP_DROP;
}

LICENSE;
