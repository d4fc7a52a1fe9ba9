// The refused bpf_for_each_map_elem programs (xdp_for_each_*.c, one refusal each: the kernel stops at
// the first). tests/programs/for_each_map_elem.test.ts holds the kernel's message and errno (6.18).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
} hash SEC(".maps");

char LICENSE[] SEC("license") = "GPL";
