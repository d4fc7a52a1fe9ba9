// Accept: ARRAY lookup with a constant in-range key, used without a null check.
// Since 6.x the verifier knows that an ARRAY lookup whose key is a known constant below
// max_entries cannot fail, and returns a map value rather than map_value_or_null (older kernels
// reject this program). Found by trial on 6.18: the key must be visible as a constant in the
// stack slot, i.e. zero bytes, or a register spill of exactly key_size bytes at the start of an
// 8-byte slot: `*(u32 *)(r10 - 8) = r1` (r1 = 2) works, the same store at r10 - 4, or a u64 store,
// leaves the result map_value_or_null.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

ARRAY_MAP(counters, __u64, 4);

SEC("xdp")
__naked int array_lookup_const_key_no_null_check(void)
{
	asm volatile(
	"r1 = 2;"
	"*(u32 *)(r10 - 8) = r1;"
	"r2 = r10;"
	"r2 += -8;"
	"r1 = %[counters] ll;"
	"call %[map_lookup_elem];"
	"r1 = 1;"
	"lock *(u64 *)(r0 + 0) += r1;"
	"r0 = 2;"
	"exit;"
	:: __imm_addr(counters), __imm(map_lookup_elem)
	: __clobber_all);
}

LICENSE;
