// Reject: a store into an xskmap's socket.
// The socket a lookup finds is read-only to programs: check_mem_access refuses any write through a
// socket pointer ("cannot write into xdp_sock"), where a map value of the same size could be written.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 4);
} xsks SEC(".maps");

SEC("xdp")
__naked int xskmap_sock_write(void)
{
	asm volatile(
	ASM_LOOKUP_KEY0(xsks)
	"if r0 == 0 goto 1f;"
	"r1 = 1;"
	"*(u32 *)(r0 + 0) = r1;"
	"1:"
	"r0 = 2;"
	"exit;"
	:
	: __imm_addr(xsks),
	  __imm(map_lookup_elem)
	: __clobber_all);
}

LICENSE;
