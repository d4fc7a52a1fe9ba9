// Accept: direct read of a stack slot that was never written (root only).
// Expected a reject ("invalid read from stack"), but privileged programs may read uninitialised
// stack (allow_uninit_stack): the value is an unknown scalar. Unprivileged loads still refuse it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int stack_uninit_read(void)
{
	asm volatile(
	"r0 = *(u64 *)(r10 - 8);"
	"exit;"
	:: 
	: __clobber_all);
}

LICENSE;
