// Reject: ARRAY lookup whose key is a 4-byte spill of a register wider than the key.
// check_stack_write_fixed_off keeps the whole register in the slot, a narrower spill too
// (save_register_state), and get_constant_map_key reads the key's value from it: 0x100000002, not
// the 2 the four stored bytes hold. That is past max_entries, so the lookup may return NULL and the
// store through it without a null check is refused ("R0 invalid mem access 'map_value_or_null'").
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

ARRAY_MAP(counters, __u64, 4);

SEC("xdp")
__naked int const_key_wide_spill(void)
{
	asm volatile(
	"r1 = 0x100000002 ll;"
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
