// Reject: load from a map the program may only write (BPF_F_WRONLY_PROG).
// bpf_map_flags_to_cap gives such a map BPF_MAP_CAN_WRITE alone: a lookup is allowed and a store
// through its value is fine, a load is "read from map forbidden" (check_map_access_type, before the
// bounds).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__uint(map_flags, BPF_F_WRONLY_PROG);
	__type(key, __u32);
	__type(value, __u64);
} wo SEC(".maps");

SEC("xdp")
__naked int map_read_writeonly(void)
{
	asm volatile(
	"r1 = 0;"
	"*(u32 *)(r10 - 4) = r1;"
	"r2 = r10;"
	"r2 += -4;"
	"r1 = %[wo] ll;"
	"call %[map_lookup_elem];"
	"if r0 == 0 goto l0_%=;"
	"r1 = 3;"
	"*(u64 *)(r0 + 0) = r1;"
	"r0 = *(u32 *)(r0 + 4);"
	"exit;"
"l0_%=:"
	"r0 = 2;"
	"exit;"
	:: __imm_addr(wo), __imm(map_lookup_elem)
	: __clobber_all);
}

LICENSE;
