// Accept: bpf_rdonly_cast of the ctx to struct xdp_buff (bpf_core_type_id_kernel), of a number, and to void.
// The type id is a CO-RE relocation (TYPE_ID_TARGET) libbpf resolves against the kernel's BTF, wxdp against its
// own; the result is untrusted (PTR_UNTRUSTED): read with probe loads, a bad address reads 0 — here the
// rx queue index (0) as an address. Cast to void (id 0) it is rdonly_untrusted_mem: any offset.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_cast.h"

SEC("xdp")
int rdonly_cast_ctx(struct xdp_md *ctx)
{
	struct xdp_buff *x = bpf_rdonly_cast(ctx, bpf_core_type_id_kernel(struct xdp_buff));
	struct xdp_buff *bad = bpf_rdonly_cast((void *)(long)(ctx->rx_queue_index * 8), bpf_core_type_id_kernel(struct xdp_buff));
	unsigned char *p = bpf_rdonly_cast((void *)(long)ctx->data, 0);

	return (x->frame_sz + x->rxq->dev->ifindex) ^ bad->frame_sz << 16 ^ bad->rxq->queue_index << 20 ^ p[5] << 24;
}

LICENSE;
