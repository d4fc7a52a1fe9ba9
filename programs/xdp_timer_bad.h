// The refused bpf_timer programs (xdp_timer_*.c, one refusal each: the kernel stops at the first).
// tests/programs/bpf_timer.test.ts holds the kernel's message and errno (6.18).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct elem {
	struct bpf_timer t;
	__u64 n;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct elem);
	__uint(max_entries, 1);
} tarr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct elem);
	__uint(max_entries, 1);
} other SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} plain SEC(".maps");

char LICENSE[] SEC("license") = "GPL";
