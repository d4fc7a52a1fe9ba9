// Reject: register number beyond r10.
// The encoding has 4 bits per register, the ISA 11 registers: dst_reg 11 is invalid (a raw word:
// r11 = 0).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int insn_bad_register(void)
{
	asm volatile(
	"r0 = 2;"
	".8byte 0x0000000000000bb7;"
	"exit;"
	:: 
	: __clobber_all);
}

LICENSE;
