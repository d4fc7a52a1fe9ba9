// Reject: legacy packet load (BPF_LD | BPF_ABS) in XDP.
// LD_ABS/LD_IND are the classic-BPF socket-filter loads, implicitly on the skb in r6; XDP has no
// skb, so they are not allowed for this program type.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int ld_abs_in_xdp(void)
{
	asm volatile(
	"r6 = r1;"
	"r0 = *(u8 *)skb[0];"
	"exit;"
	:: 
	: __clobber_all);
}

LICENSE;
