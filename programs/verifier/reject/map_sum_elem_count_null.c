// Reject: NULL passed to bpf_map_sum_elem_count, whose map argument is trusted (KF_TRUSTED_ARGS).
// check_kfunc_args refuses a NULL (or maybe-NULL) register for a trusted pointer argument before looking at its type (EACCES).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_map.h"

SEC("xdp")
int map_sum_elem_count_null(struct xdp_md *ctx)
{
	return bpf_map_sum_elem_count((struct bpf_map *)(long)(ctx->rx_queue_index & 0));
}

LICENSE;
