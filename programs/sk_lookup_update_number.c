// sk_lookup_update_number: refused. A sockmap's value, from a program, is a socket; a number on the
// stack is not one.
#include "sk_reject.h"

SEC("sk_lookup")
int update_number(struct bpf_sk_lookup *ctx)
{
	__u32 key = 0;
	__u64 fd = 3;

	return bpf_map_update_elem(&redir_map, &key, &fd, BPF_ANY) ? SK_DROP : SK_PASS;
}
