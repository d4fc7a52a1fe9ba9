// Programs that load only when asked for, as the BPF selftests write them: SEC("?xdp") is SEC("xdp")
// with autoload off (libbpf's bpf_object__init_prog forgets the '?' and keeps the section "xdp"), so
// `bpftool prog loadall` loads xdp_default and xdp_cgroup_stamp and a loader that wants xdp_on_demand
// turns its autoload on (bpf_program__set_autoload) — wxdp's LoadOptions.programs.
//   xdp_default    XDP_PASS
//   xdp_on_demand  counts frames in an ARRAY; drops frames shorter than 60 bytes, passes the others
//   xdp_cgroup_stamp  keeps bpf_get_current_cgroup_id() in the ARRAY: a helper the kernel gives XDP and wxdp
//                     does not provide, so wxdp skips this program (with the reason) and loads the others
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

SEC("xdp")
int xdp_default(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("?xdp")
int xdp_on_demand(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&seen, &key);

	if (n)
		__sync_fetch_and_add(n, 1);
	return ctx->data_end - ctx->data < 60 ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_cgroup_stamp(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&seen, &key);

	if (n)
		*n = bpf_get_current_cgroup_id();
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
