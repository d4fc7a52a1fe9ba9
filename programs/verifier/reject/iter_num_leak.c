// Reject: an open-coded iterator never destroyed.
// bpf_iter_num_new acquires a reference (mark_stack_slots_iter); only bpf_iter_num_destroy releases
// it, so the program's exit is a leak: "Unreleased reference id=1 alloc_insn=N", naming the new call.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "iter_num.h"

SEC("xdp")
int iter_num_leak(struct xdp_md *ctx)
{
	struct bpf_iter_num it;
	__u32 sum = 0;
	int *v;

	bpf_iter_num_new(&it, 0, 4);
	while ((v = bpf_iter_num_next(&it)))
		sum += *v;
	return sum & 3;
}

LICENSE;
