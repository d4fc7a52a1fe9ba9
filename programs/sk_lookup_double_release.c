// sk_lookup_double_release: refused. The socket is released twice; after the first release the
// register no longer holds a socket.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} redir_map SEC(".maps");

SEC("sk_lookup")
int release_twice(struct bpf_sk_lookup *ctx)
{
	__u32 key = 0;
	struct bpf_sock *sk = bpf_map_lookup_elem(&redir_map, &key);

	if (!sk)
		return SK_PASS;
	bpf_sk_release(sk);
	bpf_sk_release(sk);
	return SK_PASS;
}

char _license[] SEC("license") = "GPL";
