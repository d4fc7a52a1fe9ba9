// sk_lookup_update_number: refused. A sockmap's value, from a program, is a socket; a number on the
// stack is not one.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} redir_map SEC(".maps");

SEC("sk_lookup")
int update_number(struct bpf_sk_lookup *ctx)
{
	__u32 key = 0;
	__u64 fd = 3;

	return bpf_map_update_elem(&redir_map, &key, &fd, BPF_ANY) ? SK_DROP : SK_PASS;
}

char _license[] SEC("license") = "GPL";
