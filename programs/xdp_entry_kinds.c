// Three XDP programs that pass every frame, one of each expected_attach_type: BPF_XDP (SEC("xdp")), BPF_XDP_DEVMAP
// and BPF_XDP_CPUMAP. tests/maps/entry_prog_kernel.test.ts puts each into a devmap's and a cpumap's entry: the
// kernel takes only the map's own kind (a devmap EINVAL, a cpumap ENOMEM); and into each of three prog_arrays no program
// names, a different one first: the first makes the owner, the other kinds are refused (EINVAL).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define JMP(name)                                   \
	struct {                                    \
		__uint(type, BPF_MAP_TYPE_PROG_ARRAY); \
		__uint(max_entries, 3);             \
		__type(key, __u32);                 \
		__type(value, __u32);               \
	} name SEC(".maps")

JMP(jmp0);
JMP(jmp1);
JMP(jmp2);

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
