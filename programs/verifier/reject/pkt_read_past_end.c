// Reject: a read through a packet pointer the kernel knows is past data_end.
// `if r4 > r3` with r4 = data + 14: on the jump, mark_pkt_end gives r4 the range BEYOND_PKT_END (it is
// at least one byte past the end), and check_packet_access refuses any access through a pointer of
// negative range with -EINVAL and "R4 offset is outside of the packet" (no "invalid access to packet"
// line: __check_mem_access is not reached). The fall-through's read of bytes 12..13 is fine.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int pkt_read_past_end(void)
{
	asm volatile(
	ASM_PKT_PTRS(14)
	"if r4 > r3 goto 1f;"
	"r0 = *(u16 *)(r2 + 12);"
	"exit;"
"1:"
	"r0 = *(u8 *)(r4 - 1);"
	"exit;"
	:: __xdp_data, __xdp_data_end
	: __clobber_all);
}

LICENSE;
