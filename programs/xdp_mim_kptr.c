// kptrs in an inner map's values (tests/verifier/mim_kptr.test.ts, against the kernel): the inner template keeps
// its value's kptr field (bpf_map_meta_alloc copies the btf_record), so bpf_kptr_xchg stashes a bpf_obj_new'd
// object in a value found through the outer map, and freeing the element (a user-space update of the inner
// map, the inner map freed) drops it. The frame's u64s: [0] the operation, [1] a value; results at [3], [4].
//   0  a new object holding val stashed in inner0[0]: [3] the old object's val (0xdead: none), dropped
//   1  the object taken out: [3] its val (0xdead: none), dropped
//   2  the object read in place (a kptr load: rcu-protected MEM_ALLOC): [3] its val (0xdead: none)
//   3  the program's own bpf_map_update_elem of inner0[0] with 0xff bytes: [3] its result (the kptr is not the
//      program's bytes: copy_map_value skips it, and the old value's object is dropped)
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier/obj_kfuncs.h"
#include "verifier/kptr.h"

struct obj {
	__u64 val;
};

KPTR_TYPE(obj);

struct slot {
	__u64 pad;
	obj_t __kptr *o;
};

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slot);
} inner0 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = { .values = { &inner0 } };

#define NONE 0xdead

SEC("xdp")
int xdp_mim_kptr(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 *f = data;
	__u64 r3 = NONE;
	struct obj *o, *old;
	struct slot *s, ff;
	__u32 k = 0;
	void *im;

	if ((void *)(f + 5) > data_end)
		return XDP_ABORTED;
	im = bpf_map_lookup_elem(&outer, &k);
	if (!im)
		return XDP_ABORTED;
	s = bpf_map_lookup_elem(im, &k);
	if (!s)
		return XDP_ABORTED;
	switch (f[0]) {
	case 0:
		o = bpf_obj_new(struct obj);
		if (!o)
			return XDP_DROP;
		o->val = f[1];
		old = bpf_kptr_xchg(&s->o, o);
		if (old) {
			r3 = old->val;
			bpf_obj_drop(old);
		}
		break;
	case 1:
		old = bpf_kptr_xchg(&s->o, NULL);
		if (old) {
			r3 = old->val;
			bpf_obj_drop(old);
		}
		break;
	case 2:
		o = s->o;
		if (o)
			r3 = o->val;
		break;
	case 3:
		__builtin_memset(&ff, 0xff, sizeof(ff));
		r3 = bpf_map_update_elem(im, &k, &ff, 0);
		break;
	default:
		return XDP_DROP;
	}
	f[3] = r3;
	f[4] = 0;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
