// Reject: loop bounded only by an unknown value.
// (see the file's recorded outcome)
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int loop_unbounded_counter(void)
{
	asm volatile(
	"call %[get_prandom_u32];"
	"r6 = r0;"
	"r1 = 0;"
"1:"
	"r1 += 1;"
	"if r1 < r6 goto 1b;"
	"r0 = 2;"
	"exit;"
	:: __imm(get_prandom_u32)
	: __clobber_all);
}

LICENSE;
