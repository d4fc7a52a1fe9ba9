// sk_lookup_nullderef: refused by the verifier (kernel and wxdp alike). A sockmap lookup may find
// nothing; the program reads the socket's family without checking for NULL first
// ("R0 invalid mem access 'sock_or_null'" in 6.18.44-fc-v1252, which types the lookup as a socket at
// the call; 'map_value_or_null' in earlier builds).
#include "sk_reject.h"

SEC("sk_lookup")
int deref_unchecked(struct bpf_sk_lookup *ctx)
{
	__u32 key = 0;
	struct bpf_sock *sk = bpf_map_lookup_elem(&redir_map, &key);
	int family = sk->family;

	bpf_sk_release(sk);
	return family == 2 ? SK_PASS : SK_DROP;
}
