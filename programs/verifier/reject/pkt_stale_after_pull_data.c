// Reject: a packet pointer used after bpf_xdp_pull_data
// The kfunc may move the frame (it is one of the kernel's packet-changing kfuncs, so the verifier
// runs clear_all_pkt_pointers after it): a pointer checked against data_end before the call is a
// plain number after it, and reading through it is refused.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int bpf_xdp_pull_data(struct xdp_md *x, __u32 len) __ksym;

SEC("xdp.frags")
int pkt_stale_after_pull_data(struct xdp_md *ctx)
{
	__u8 *data = (__u8 *)(long)ctx->data;

	if (data + 1 > (__u8 *)(long)ctx->data_end)
		return XDP_DROP;
	bpf_xdp_pull_data(ctx, 64);
	return *data;
}

char _license[] SEC("license") = "GPL";
