// Reject: a write-only map's value (BPF_F_WRONLY_PROG) handed to a helper that reads it.
// check_helper_mem_access checks a map value argument with check_map_access_type too: as the key of
// bpf_map_lookup_elem the value is read, "read from map forbidden" with the key's size.
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
__naked int map_read_writeonly_helper(void)
{
	asm volatile(
	"r1 = 0;"
	"*(u32 *)(r10 - 4) = r1;"
	"r2 = r10;"
	"r2 += -4;"
	"r1 = %[wo] ll;"
	"call %[map_lookup_elem];"
	"if r0 == 0 goto l0_%=;"
	"r2 = r0;"
	"r1 = %[wo] ll;"
	"call %[map_lookup_elem];"
"l0_%=:"
	"r0 = 2;"
	"exit;"
	:: __imm_addr(wo), __imm(map_lookup_elem)
	: __clobber_all);
}

LICENSE;
