// Three XDP programs that pass every frame, one of each expected_attach_type: BPF_XDP (SEC("xdp")), BPF_XDP_DEVMAP
// and BPF_XDP_CPUMAP. tests/maps/entry_prog_kernel.test.ts puts each into a devmap's and a cpumap's entry: the
// kernel takes only the map's own kind (a devmap EINVAL, a cpumap ENOMEM).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int plain(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp/devmap")
int on_devmap(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp/cpumap")
int on_cpumap(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
