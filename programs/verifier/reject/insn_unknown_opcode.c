// Reject: unknown opcode.
// 0xff is no instruction of the BPF ISA (written as a raw word: no assembler will emit it).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int insn_unknown_opcode(void)
{
	asm volatile(
	"r0 = 2;"
	".8byte 0x00000000000000ff;"
	"exit;"
	:: 
	: __clobber_all);
}

LICENSE;
