// Programs for devmap / cpumap entries (tests/datapath/redirect.test.ts): the kernel takes into a devmap only
// an XDP program loaded with expected_attach_type BPF_XDP_DEVMAP (SEC("xdp/devmap")), into a cpumap only
// BPF_XDP_CPUMAP (SEC("xdp/cpumap")), and in one map only programs of the same xdp_has_frags
// (bpf_prog_map_compatible): 6.18.44 refused dm after dm_frags with EINVAL, a plain SEC("xdp") everywhere.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp") int plain(struct xdp_md *ctx) { return XDP_PASS; }
SEC("xdp/devmap") int dm(struct xdp_md *ctx) { return XDP_PASS; }
SEC("xdp.frags/devmap") int dm_frags(struct xdp_md *ctx) { return XDP_PASS; }
SEC("xdp/cpumap") int cm(struct xdp_md *ctx) { return XDP_PASS; }

char _license[] SEC("license") = "GPL";
