// xdp_keyless: the maps without keys that `wxdp map push|pop|peek` (bpftool's verbs) work on: a queue and
// a stack of two u32 each and a bloom filter (BPF_F_ZERO_SEED, 3 hashes); the program pushes the frame's
// length onto each (a full queue or stack: BPF_EXIST drops the oldest) and returns XDP_PASS. `lens` has
// keys (the verbs refuse it). tests/cli/map_keyless.test.ts.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__type(value, __u32);
	__uint(max_entries, 2);
} lens_q SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__type(value, __u32);
	__uint(max_entries, 2);
} lens_s SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__type(value, __u32);
	__uint(max_entries, 16);
	__uint(map_extra, 3);
	__uint(map_flags, BPF_F_ZERO_SEED);
} lens_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} lens SEC(".maps");

SEC("xdp")
int xdp_keyless(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;

	bpf_map_push_elem(&lens_q, &len, BPF_EXIST);
	bpf_map_push_elem(&lens_s, &len, BPF_EXIST);
	bpf_map_push_elem(&lens_b, &len, BPF_ANY);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
