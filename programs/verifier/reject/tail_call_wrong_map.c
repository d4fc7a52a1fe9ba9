// Reject: tail call through a map that is not a PROG_ARRAY.
// bpf_tail_call() jumps to a program found in a BPF_MAP_TYPE_PROG_ARRAY; an ARRAY of u32 program
// ids (map_type 2) is not accepted in its place.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

ARRAY_MAP(next_stage, __u32, 4);

SEC("xdp")
__naked int tail_call_wrong_map(void)
{
	asm volatile(
	"r2 = %[next_stage] ll;"
	"r3 = 0;"
	"call %[tail_call];"
	"r0 = 2;"
	"exit;"
	:: __imm_addr(next_stage), __imm(tail_call)
	: __clobber_all);
}

LICENSE;
