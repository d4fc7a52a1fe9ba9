// Reject: variable-offset stack access that can leave the frame.
// fp-8 + (0..15): the largest offset reaches fp+7, above the frame.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int stack_var_off_out_of_frame(void)
{
	asm volatile(
	"call %[get_prandom_u32];"
	"r0 &= 15;"
	"r1 = r10;"
	"r1 += -8;"
	"r1 += r0;"
	"r0 = *(u8 *)(r1 + 0);"
	"exit;"
	:: __imm(get_prandom_u32)
	: __clobber_all);
}

LICENSE;
