// Reject: bound proven on a copy that the compiler does not use (clang's zero-extension idiom).
// The C clamps len to 1..32, but clang -O2 tests a zero-extended copy (r2 = r4 << 32 >> 32) and
// passes the original r4, whose link to the copy the shifts broke: for the verifier the size is
// still any 64-bit value. The C source is safe; the object is not provably so.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
int bound_on_copy(struct xdp_md *ctx)
{
	__u8 buf[32];
	__u32 len = ctx->data_end - ctx->data;

	if (len > sizeof(buf))
		len = sizeof(buf);
	if (len == 0)
		return XDP_DROP;
	if (bpf_xdp_load_bytes(ctx, 0, buf, len))
		return XDP_DROP;
	return buf[0] & 1 ? XDP_DROP : XDP_PASS;
}

LICENSE;
