// Reject: pruning against an imprecise scalar where this path holds a pointer.
// A register holding an imprecise scalar where the path explored first reached a checkpoint holds a
// pointer where a later path reaches it. Pruning ignores an imprecise scalar's value, not its type:
// regsafe compares the types first (rold->type != rcur->type), so the later path is not pruned and its
// multiplication of a stack pointer is refused (the scalar path's was fine).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int prune_scalar_vs_pointer(void)
{
	asm volatile(
	"call %[get_prandom_u32];"
	"r6 = r0;"
	"if r0 > 5 goto 1f;"
	"r7 = 1;"
	"r7 = 2;"
	"r7 = 3;"
	"r7 = 4;"
	"r7 = 5;"
	"r7 = 6;"
	"r7 = 7;"
	"r7 = 8;"
	"goto 2f;"
"1:"
	"r6 = r10;"
"2:"
	"r6 *= 3;"
	"r0 = 2;"
	"exit;"
	:
	: __imm(get_prandom_u32)
	: __clobber_all);
}

LICENSE;
