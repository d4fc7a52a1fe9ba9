// Reject: a zero register stored off an 8-byte slot boundary stays known only through that register.
// The store is no spill: its bytes become STACK_ZERO, and check_stack_write_fixed_off makes the
// register precise (mark_chain_precision). The path that stores a 0 there makes the slot a constant
// ARRAY key, so its lookup cannot fail; the path that stores a 1 reaches the same checkpoint and is
// not pruned by it (r7 differs and is precise), and its lookup, key unknown, may return NULL: the
// unchecked dereference is refused.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

ARRAY_MAP(counters, __u64, 4);

SEC("xdp")
__naked int zero_store_precise(void)
{
	asm volatile(
	"call %[get_prandom_u32];"
	"r7 = 0;"
	"r8 = 0;"
	"r9 = 0;"
	"r6 = 0;"
	"if r0 != 0 goto 1f;"
	"goto 2f;"
"1:"
	"r7 = 1;"
"2:"
	"*(u32 *)(r10 - 12) = r7;"
	"r2 = r10;"
	"r2 += -12;"
	"r1 = %[counters] ll;"
	"call %[map_lookup_elem];"
	"r0 = *(u64 *)(r0 + 0);"
	"r0 = 2;"
	"exit;"
	:: __imm_addr(counters), __imm(get_prandom_u32), __imm(map_lookup_elem)
	: __clobber_all);
}

LICENSE;
