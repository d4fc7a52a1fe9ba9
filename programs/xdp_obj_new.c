// bpf_obj_new / bpf_obj_drop at run time (tests/programs/obj_new.test.ts, against the kernel's
// BPF_PROG_TEST_RUN): objects of two local structs are allocated, filled from the frame's first
// 16 bytes, read back, dropped; a fresh object is read before any write (bpf_obj_new's objects are
// zeroed, a freed object's bytes included). Results, as u64s from offset 16 of the frame:
//   [0] a->x + b->v[0..3] summed   [1] a fresh object's bytes ORed (0)   [2] small->y after the writes
//   [3] the number of objects allocated (3: none failed)
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier/obj_kfuncs.h"

struct small { __u64 x; __u32 y; __u32 z; };
struct big { __u64 v[4]; __u8 pad[200]; __u64 tail; };

SEC("xdp")
int xdp_obj_new(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u64 *f = data;
	struct small *a, *c;
	struct big *b;
	__u64 n = 0, sum, fresh;

	if (data + 48 > end)
		return XDP_ABORTED;
	a = bpf_obj_new(struct small);
	if (!a)
		return XDP_DROP;
	n++;
	a->x = f[0];
	a->y = f[1] >> 32;
	a->z = 0xffffffff;
	b = bpf_obj_new(struct big);
	if (!b) {
		bpf_obj_drop(a);
		return XDP_DROP;
	}
	n++;
	b->v[0] = f[1];
	b->v[1] = a->x * 3;
	b->v[2] = a->y;
	b->v[3] = a->z;
	b->tail = 0xabcdef;
	sum = a->x + b->v[0] + b->v[1] + b->v[2] + b->v[3] + b->tail;
	f[4] = a->y;
	bpf_obj_drop(a);
	bpf_obj_drop(b);
	c = bpf_obj_new(struct small);
	if (!c)
		return XDP_DROP;
	n++;
	fresh = c->x | c->y | c->z;
	bpf_obj_drop(c);
	f[2] = sum;
	f[3] = fresh;
	f[5] = n;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
