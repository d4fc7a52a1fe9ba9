// The frame's length and its first `cfg[0]` bytes to user space through a perf event array, from a
// multi-buffer program: past 3520 bytes the test run puts the frame's rest in fragments of a page each,
// and bpf_xdp_event_output copies the frame bytes with bpf_xdp_copy, which walks them
// (xdp_buff_has_frags: the linear part, then skb_frag_t after skb_frag_t). What katran's introspection
// (REPORT_PACKET_TOOBIG, with KATRAN_XDP_HAS_FRAGS) and xdpdump do with large frames.
// The helper's return value goes to results[0]: 0, or -EFAULT when the frame has fewer bytes than asked
// (the check is against xdp_get_buff_len, fragments included), -ENOENT without a reader.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(int));
	__uint(value_size, sizeof(int));
	/* 0: libbpf sizes it to the possible CPUs */
} frag_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __s64);
	__uint(max_entries, 1);
} results SEC(".maps");

SEC("xdp.frags")
int xdp_perf_frags(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *want = bpf_map_lookup_elem(&cfg, &k);
	__s64 *res = bpf_map_lookup_elem(&results, &k);
	__u32 len = bpf_xdp_get_buff_len(ctx);
	__u64 n = want ? *want & 0xfffff : 0;
	long r = bpf_perf_event_output(ctx, &frag_events, BPF_F_CURRENT_CPU | (n << 32), &len, sizeof(len));

	if (res)
		*res = r;
	return r == 0 ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
