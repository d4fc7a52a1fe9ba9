// Reject: read of a register that was never written.
// At entry only r1 (ctx) and r10 (frame pointer) hold values; r2 is not readable (!read_ok).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int reg_uninit_read(void)
{
	asm volatile(
	"r0 = r2;"
	"exit;"
	:: 
	: __clobber_all);
}

LICENSE;
