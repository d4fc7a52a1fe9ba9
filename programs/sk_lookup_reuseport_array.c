// sk_lookup_reuseport_array: refused. A reuseport array's sockets are reached only through
// bpf_sk_select_reuseport; an sk_lookup program cannot look them up.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} group SEC(".maps");

SEC("sk_lookup")
int lookup_group(struct bpf_sk_lookup *ctx)
{
	__u32 key = 0;
	struct bpf_sock *sk = bpf_map_lookup_elem(&group, &key);

	if (!sk)
		return SK_PASS;
	bpf_sk_release(sk);
	return SK_PASS;
}

char _license[] SEC("license") = "GPL";
