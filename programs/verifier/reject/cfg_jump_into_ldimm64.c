// Reject: jump into the second half of a 16-byte ld_imm64.
// The second 8 bytes of ld_imm64 only carry the upper 32 bits of the constant; they are not an
// instruction and cannot be a jump target.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int cfg_jump_into_ldimm64(void)
{
	asm volatile(
	"r0 = 2;"
	"if r1 == 0 goto +1;"
	"r2 = 0x100000000 ll;"
	"exit;"
	:: 
	: __clobber_all);
}

LICENSE;
