// Reject: an XDP program not bound to a device calls an RX-metadata kfunc.
// add_kfunc_call checks each kfunc call before the walk starts (add_subprog_and_kfunc, in program
// order): bpf_xdp_metadata_rx_hash is a device-bound kfunc (bpf_dev_bound_kfunc_id) and the program
// was loaded without BPF_F_XDP_DEV_BOUND_ONLY, so bpf_dev_bound_kfunc_check refuses it with -EINVAL,
// "metadata kfuncs require device-bound program", and 0 instructions processed — before the
// bpf_ktime_get_tai_ns call further on is ever looked at.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

enum xdp_rss_hash_type { XDP_RSS_TYPE_NONE = 0 };
extern int bpf_xdp_metadata_rx_hash(const struct xdp_md *ctx, __u32 *hash, enum xdp_rss_hash_type *rss_type) __ksym;

SEC("xdp")
int kfunc_rx_meta_unbound(struct xdp_md *ctx)
{
	__u32 hash = 0;
	enum xdp_rss_hash_type type = 0;
	__u64 t = bpf_ktime_get_tai_ns();

	if (bpf_xdp_metadata_rx_hash(ctx, &hash, &type))
		return XDP_PASS;
	return (hash ^ t) & 1 ? XDP_DROP : XDP_PASS;
}

LICENSE;
