// Accept: bpf_cast_to_kern_ctx, then every struct xdp_buff field an XDP program may read, the device through rxq->dev.
// The cast is trusted_ptr_xdp_buff (never NULL); its `void *` members load as rdonly_untrusted_mem (numbers to
// subtract, not packet pointers), rxq and rxq->dev as untrusted struct pointers; every load a probe load.
// Returns the frame's length, metadata and headroom, frame_sz, flags, ifindex and queue, folded together.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_cast.h"

SEC("xdp")
int cast_kern_ctx_fields(struct xdp_md *ctx)
{
	struct xdp_buff *x = bpf_cast_to_kern_ctx(ctx);
	void *d = x->data, *e = x->data_end, *m = x->data_meta, *h = x->data_hard_start;

	return (int)((e - d) + ((d - m) << 8) + ((d - h) << 16)) ^ x->frame_sz ^ x->flags << 20 ^
	       x->rxq->dev->ifindex << 24 ^ x->rxq->queue_index << 28;
}

LICENSE;
