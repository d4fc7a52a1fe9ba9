// xdp_pass_drop: the two smallest XDP programs, in one object. xdp_pass returns XDP_PASS and
// xdp_drop returns XDP_DROP for every frame. No maps, no helpers. The object tests that a loader
// finds several programs in one section name and that the packet comes back untouched.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int xdp_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
