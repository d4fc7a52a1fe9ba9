// Reject: a pointer passed as a string kfunc's count.
// Only the string arguments are `__ign`; a size_t argument must be a scalar: check_kfunc_args refuses
// a pointer there, "R2 is not a scalar", EINVAL (as it refuses a register never set).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "str_kfuncs.h"

SEC("xdp")
int str_kfunc_pointer_count(struct xdp_md *ctx)
{
	char *s = (char *)(long)ctx->data;

	return bpf_strnlen(s, (__u64)(long)s);
}

LICENSE;
