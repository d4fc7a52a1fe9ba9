// Reject: reading an xskmap's socket past its one field (struct bpf_xdp_sock is just queue_id).
// What an xskmap lookup finds is the AF_XDP socket (xdp_sock after the NULL check, not map_value):
// bpf_xdp_sock_is_valid_access lets a program read the u32 at offset 0 and nothing else, whatever
// the map's value_size says.
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
__naked int xskmap_sock_past_queue_id(void)
{
	asm volatile(
	ASM_LOOKUP_KEY0(xsks)
	"if r0 == 0 goto 1f;"
	"r0 = *(u32 *)(r0 + 4);"
	"1:"
	"r0 = 2;"
	"exit;"
	:
	: __imm_addr(xsks),
	  __imm(map_lookup_elem)
	: __clobber_all);
}

LICENSE;
