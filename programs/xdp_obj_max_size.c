// bpf_obj_new of the largest struct bpf_mem_alloc serves (4088 bytes: its 4096-byte class less the 8-byte
// header), allocated and written at its last byte: 6.18.44 loads it and the run returns 2 (1 for NULL).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier/obj_kfuncs.h"

struct most {
	__u8 pad[4088];
};

SEC("xdp")
int xdp_obj_max_size(struct xdp_md *ctx)
{
	struct most *m = bpf_obj_new(struct most);

	if (!m)
		return 1;
	m->pad[4087] = 1;
	bpf_obj_drop(m);
	return 2;
}

char _license[] SEC("license") = "GPL";
