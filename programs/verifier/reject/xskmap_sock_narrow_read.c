// Reject: a narrow read of an xskmap socket's queue_id.
// bpf_xdp_sock_is_valid_access takes only a whole u32 at offset 0: a one-byte read of queue_id, which
// a map value would allow, is refused with the socket's type in the message.
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
__naked int xskmap_sock_narrow_read(void)
{
	asm volatile(
	ASM_LOOKUP_KEY0(xsks)
	"if r0 == 0 goto 1f;"
	"r0 = *(u8 *)(r0 + 0);"
	"1:"
	"r0 = 2;"
	"exit;"
	:
	: __imm_addr(xsks),
	  __imm(map_lookup_elem)
	: __clobber_all);
}

LICENSE;
