// Reject: helper not available to XDP programs.
// bpf_skb_load_bytes() (a slip when porting tc code) works on an sk_buff; xdp_func_proto() does not
// offer it, so for an XDP program the id is an unknown function. (bpf_get_current_pid_tgid(), once
// tracing-only, is in the base set since 6.x and is accepted in XDP.)
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int helper_not_for_xdp(void)
{
	asm volatile(
	"r2 = 0;"
	"r3 = r10;"
	"r3 += -8;"
	"r4 = 8;"
	"call %[skb_load_bytes];"
	"r0 = 2;"
	"exit;"
	:: __imm(skb_load_bytes)
	: __clobber_all);
}

LICENSE;
