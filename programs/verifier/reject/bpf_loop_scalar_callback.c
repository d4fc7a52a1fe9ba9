// Reject: bpf_loop() with a callback that is not a function.
// The callback argument must be a ld_imm64 of a subprogram (BPF_PSEUDO_FUNC) so that the verifier
// can verify its body; a number (here 0) is no function.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int bpf_loop_scalar_callback(void)
{
	asm volatile(
	"r1 = 4;"
	"r2 = 0;"
	"r3 = 0;"
	"r4 = 0;"
	"call %[loop];"
	"r0 = 2;"
	"exit;"
	:: __imm(loop)
	: __clobber_all);
}

LICENSE;
