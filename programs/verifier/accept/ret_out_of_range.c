// Accept: XDP program returning 1000, not one of the XDP actions.
// Expected a reject, but the 6.18 verifier does not range-check a plain XDP program's return
// value: an unknown action is handled at run time (bpf_warn_invalid_xdp_action, then a drop).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int ret_out_of_range(void)
{
	asm volatile(
	"r0 = 1000;"
	"exit;"
	:: 
	: __clobber_all);
}

LICENSE;
