// Reject: exit without setting r0.
// The return value is read at exit; r0 was never written on this path.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int ret_r0_uninit(void)
{
	asm volatile(
	"r2 = 1;"
	"exit;"
	:: 
	: __clobber_all);
}

LICENSE;
