// Reject: a store through bpf_rdonly_cast's void result.
// Cast to void (id 0) it is rdonly_untrusted_mem: read only (EACCES).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_cast.h"

SEC("xdp")
int rdonly_cast_write(struct xdp_md *ctx)
{
	char *p = bpf_rdonly_cast((void *)(long)ctx->data, 0);

	p[0] = 1;
	return XDP_PASS;
}

LICENSE;
