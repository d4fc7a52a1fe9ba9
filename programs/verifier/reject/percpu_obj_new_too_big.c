// Reject: bpf_percpu_obj_new of a 600-byte struct.
// The per-CPU allocator's objects are at most 512 bytes (BPF_GLOBAL_PERCPU_MA_MAX_SIZE).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"
#include "kptr.h"

struct pcbig { __u64 a[75]; };
SEC("xdp")
int percpu_obj_new_too_big(struct xdp_md *ctx)
{
	struct pcbig *o = bpf_percpu_obj_new(struct pcbig);

	if (!o)
		return 0;
	bpf_percpu_obj_drop(o);
	return 1;
}

LICENSE;
