// xdp_perf_dump: copies every frame's head to user space through a BPF_MAP_TYPE_PERF_EVENT_ARRAY, as
// xdpdump does: bpf_perf_event_output(ctx, map, BPF_F_CURRENT_CPU | (cap_len << 32), &meta,
// sizeof(meta)), so the sample is the metadata followed by the first cap_len (at most 96) bytes of the
// frame. The map has no max_entries: libbpf sizes it to the possible CPUs. Three more calls exercise
// the helper's errors: more frame bytes than the frame has (-EFAULT), a flag outside the index and
// length fields (-EINVAL) and an index past max_entries (-E2BIG). `perf_results` counts every call's
// result by -errno (0 = written; with no reader attached, -ENOENT: no perf event at the CPU's index).
// Every frame is passed unchanged.
// Maps: PERF_EVENT_ARRAY, ARRAY. Helpers: bpf_perf_event_output, bpf_map_lookup_elem.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define CAP_MAX 96
#define RESULTS 32

struct pkt_meta {
	__u32 ifindex;
	__u32 rx_queue;
	__u16 pkt_len;
	__u16 cap_len;
	__u32 magic;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} dump_perf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, RESULTS);
} perf_results SEC(".maps");

static __always_inline void record(long ret)
{
	__u32 k = ret >= 0 ? 0 : (__u32)-ret;
	__u64 *v;

	if (k >= RESULTS)
		k = RESULTS - 1;
	v = bpf_map_lookup_elem(&perf_results, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("xdp")
int xdp_perf_dump(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct pkt_meta meta = {};
	__u64 len = data_end - data;
	__u64 cap = len < CAP_MAX ? len : CAP_MAX;

	meta.ifindex = ctx->ingress_ifindex;
	meta.rx_queue = ctx->rx_queue_index;
	meta.pkt_len = len;
	meta.cap_len = cap;
	meta.magic = 0x78647064;
	record(bpf_perf_event_output(ctx, &dump_perf, BPF_F_CURRENT_CPU | (cap << 32), &meta, sizeof(meta)));
	record(bpf_perf_event_output(ctx, &dump_perf, BPF_F_CURRENT_CPU | ((len + 1) << 32), &meta, sizeof(meta)));
	record(bpf_perf_event_output(ctx, &dump_perf, BPF_F_CURRENT_CPU | (1ULL << 60), &meta, sizeof(meta)));
	record(bpf_perf_event_output(ctx, &dump_perf, 4096, &meta, sizeof(meta)));
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
