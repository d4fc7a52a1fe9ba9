// Accept: division and modulo by a register that may be zero.
// BPF defines x / 0 = 0 and x % 0 = x (the JIT emits the test), so an unknown divisor needs no
// check; only an immediate 0 is refused (reject/alu_div_by_imm_zero.c).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int div_by_register_maybe_zero(void)
{
	asm volatile(
	"call %[get_prandom_u32];"
	"r6 = r0;"
	"r6 &= 7;"
	"call %[get_prandom_u32];"
	"r7 = r0;"
	"r7 /= r6;"
	"w7 /= w6;"
	/* r0 %= r6 (BPF_ALU64 | BPF_MOD | BPF_X): clang 14's assembler does not parse `%=` */
	".8byte 0x000000000000609f;"
	"r0 = 2;"
	"exit;"
	:: __imm(get_prandom_u32)
	: __clobber_all);
}

LICENSE;
