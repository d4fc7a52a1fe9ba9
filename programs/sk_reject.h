// What the refused socket programs (sk_lookup_*.c that the verifier must refuse) share: a one-slot
// sockmap whose lookups are socket references.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} redir_map SEC(".maps");

char _license[] SEC("license") = "GPL";
