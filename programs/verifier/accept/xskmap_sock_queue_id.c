// Accept: reading the queue_id of the AF_XDP socket an xskmap lookup finds.
// After the NULL check the lookup's result is xdp_sock; its u32 at offset 0 is the socket's queue_id
// (bpf_xdp_sock_convert_ctx_access), as an AF_XDP program checks that a socket serves the frame's
// queue before redirecting to it.
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
__naked int xskmap_sock_queue_id(void)
{
	asm volatile(
	"r6 = *(u32 *)(r1 + %[rx_queue_index]);"
	"*(u32 *)(r10 - 4) = r6;"
	"r2 = r10;"
	"r2 += -4;"
	"r1 = %[xsks] ll;"
	"call %[map_lookup_elem];"
	"if r0 == 0 goto 1f;"
	"r1 = *(u32 *)(r0 + 0);"
	"if r1 != r6 goto 1f;"
	"r0 = 1;"
	"exit;"
	"1:"
	"r0 = 2;"
	"exit;"
	:
	: __imm_addr(xsks),
	  __imm(map_lookup_elem),
	  __imm_const(rx_queue_index, offsetof(struct xdp_md, rx_queue_index))
	: __clobber_all);
}

LICENSE;
