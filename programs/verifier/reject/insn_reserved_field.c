// Reject: nonzero reserved field.
// BPF_MOV | BPF_K ignores src_reg, which must then be 0; here it is 1 (a raw word: r0 = 0 with
// src_reg 1).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int insn_reserved_field(void)
{
	asm volatile(
	"r0 = 2;"
	".8byte 0x00000000000010b7;"
	"exit;"
	:: 
	: __clobber_all);
}

LICENSE;
