// Reject: store into a read-only map (.rodata).
// libbpf creates .rodata with BPF_F_RDONLY_PROG and freezes it; the program may read a
// `const volatile` global but a store through its address is "write into map forbidden".
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

const volatile __u32 verdict = XDP_PASS;

SEC("xdp")
__naked int map_write_readonly(void)
{
	asm volatile(
	"r1 = %[verdict] ll;"
	"r2 = 1;"
	"*(u32 *)(r1 + 0) = r2;"
	"r0 = *(u32 *)(r1 + 0);"
	"exit;"
	:: __imm_addr(verdict)
	: __clobber_all);
}

LICENSE;
