// Accept: variable-offset read of an initialised stack buffer.
// buf[i & 15] is fp-16 + 0..15, entirely inside the 16 initialised bytes; root may use variable
// stack offsets (the verifier checks every byte the offset can reach).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
int stack_var_offset_initialised(struct xdp_md *ctx)
{
	volatile __u8 buf[16];

#pragma clang loop unroll(full)
	for (int i = 0; i < 16; i++)
		buf[i] = i;
	return buf[bpf_get_prandom_u32() & 15] & 1 ? XDP_DROP : XDP_PASS;
}

LICENSE;
