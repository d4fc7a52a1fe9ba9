// Reject: a store of zero at a variable stack offset makes only the bytes that were already zero
// STACK_ZERO (check_stack_write_var_off: any byte of the window may be left as it was). fp-16 holds an
// unknown scalar; a zero stored at fp-16 or fp-8 leaves its first byte unknown, so the byte read back is
// [0, 255] and offsetting a 4-byte map value by it is refused. Making the whole window zero would take
// the byte for 0 and accept the access (a verifier that did so was unsound).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

ARRAY_MAP(vals, __u32, 1);

SEC("xdp")
__naked int var_off_zero_store(void)
{
	asm volatile(
	"call %[get_prandom_u32];"
	"*(u64 *)(r10 - 16) = r0;"
	"r2 = r0;"
	"r2 &= 8;"
	"r2 += -16;"
	"r1 = r10;"
	"r1 += r2;"
	"r3 = 0;"
	"*(u8 *)(r1 + 0) = r3;"
	"r6 = *(u8 *)(r10 - 16);"
	"r1 = 0;"
	"*(u32 *)(r10 - 24) = r1;"
	"r2 = r10;"
	"r2 += -24;"
	"r1 = %[vals] ll;"
	"call %[map_lookup_elem];"
	"if r0 == 0 goto 1f;"
	"r0 += r6;"
	"r0 = *(u8 *)(r0 + 0);"
"1:"
	"r0 = 2;"
	"exit;"
	:: __imm_addr(vals), __imm(get_prandom_u32), __imm(map_lookup_elem)
	: __clobber_all);
}

LICENSE;
