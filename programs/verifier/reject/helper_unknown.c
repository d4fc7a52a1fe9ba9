// Reject: call of a helper id that does not exist.
// Helper ids are an enum the kernel knows (__BPF_FUNC_MAX_ID); 12345 is none of them.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int helper_unknown(void)
{
	asm volatile(
	"call 12345;"
	"r0 = 2;"
	"exit;"
	::: __clobber_all);
}

LICENSE;
