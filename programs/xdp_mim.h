// Shared by the xdp_mim_* objects the verifier refuses: an ARRAY_OF_MAPS whose inner maps are
// ARRAYs of u64, slot 0 filled by libbpf.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner_array {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
};

struct inner_array counters0 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__type(key, __u32);
	__uint(max_entries, 2);
	__array(values, struct inner_array);
} outer SEC(".maps") = {
	.values = { [0] = &counters0 },
};

char _license[] SEC("license") = "GPL";
