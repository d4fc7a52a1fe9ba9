// sk_lookup_leak: refused by the verifier (kernel and wxdp alike). The socket a sockmap lookup
// returns is a reference; on the path where bpf_sk_assign is skipped it is never released
// ("Unreleased reference id=N alloc_insn=M").
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} redir_map SEC(".maps");

SEC("sk_lookup")
int leak_socket(struct bpf_sk_lookup *ctx)
{
	__u32 key = 0;
	struct bpf_sock *sk = bpf_map_lookup_elem(&redir_map, &key);

	if (!sk)
		return SK_PASS;
	if (ctx->local_port != 7007)
		return SK_PASS; /* sk leaks here */
	bpf_sk_assign(ctx, sk, 0);
	bpf_sk_release(sk);
	return SK_PASS;
}

char _license[] SEC("license") = "GPL";
