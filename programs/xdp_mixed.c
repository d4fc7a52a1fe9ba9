// An object whose XDP programs sit beside programs of other types, as real objects mix them (xdp-tools
// keeps tp_btf counters next to its XDP programs; tutorials keep several lessons in one file). libbpf
// loads such an object program by program: wxdp loads the XDP programs it can run and skips the rest
// with a note (programs/xdp_optional.c has an XDP program calling a helper wxdp lacks).
//   xdp_mixed_pass   XDP_PASS, calls nothing
//   xdp_mixed_count  counts frames in an ARRAY and passes them
//   xdp_check_mtu   asks bpf_check_mtu whether the frame fits the device it arrived on
//   kprobe_count    a kprobe (a program type wxdp has no hook for)
//   tc_pass         a TC classifier (likewise)
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} frames SEC(".maps");

SEC("xdp")
int xdp_mixed_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int xdp_mixed_count(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&frames, &key);

	if (n)
		__sync_fetch_and_add(n, 1);
	return XDP_PASS;
}

SEC("xdp")
int xdp_check_mtu(struct xdp_md *ctx)
{
	__u32 mtu_len = 0;

	if (bpf_check_mtu(ctx, 0, &mtu_len, 0, 0) != 0)
		return XDP_DROP;
	return XDP_PASS;
}

SEC("kprobe/do_nanosleep")
int kprobe_count(void *regs)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&frames, &key);

	if (n)
		__sync_fetch_and_add(n, 1);
	return 0;
}

SEC("tc")
int tc_pass(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
