// Refused: bpf_map_lookup_percpu_elem on a plain ARRAY (check_map_func_compatibility: percpu maps only).
// tests/programs/base_helpers.test.ts holds the kernel's refusal (6.18).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} arr SEC(".maps");

SEC("xdp")
int xdp_percpu_lookup_array(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_percpu_elem(&arr, &key, 0);

	return v && *v ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
