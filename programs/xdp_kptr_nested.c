// An allocated object's own kptr (tests/verifier/kptr57.test.ts, against the kernel): bpf_kptr_xchg into a
// bpf_obj_new'd struct's __kptr field, and what drops the object it holds — taking it out, or dropping the
// outer object (__bpf_obj_drop_impl -> bpf_obj_free_fields), by the program or by freeing the map element
// whose kptr holds the outer object. The frame's u64s: [0] the operation, [1] a value; results at [2], [3].
//   0  a new outer object holding a new inner one (val) stashed in the map's slot; [2] the old outer's
//      inner val (taken out of it and dropped; 0xdead: none), the old outer dropped
//   1  take the outer object out and drop it whole (its inner with it); [2] 1 if there was one
//   2  take the outer object out, its inner out of it: [2] the inner's val, both dropped
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier/obj_kfuncs.h"
#include "verifier/kptr.h"

struct inner {
	__u64 val;
};

KPTR_TYPE(inner);

struct outer {
	__u64 tag;
	inner_t __kptr *in;
};

KPTR_TYPE(outer);

struct slot {
	outer_t __kptr *o;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slot);
} nslots SEC(".maps");

#define NONE 0xdead

/* the inner object of `o` taken out: its val, or NONE */
static __noinline __u64 take_inner(struct outer *o)
{
	struct inner *i;
	__u64 r = NONE;

	if (!o)
		return NONE;
	i = bpf_kptr_xchg(&o->in, NULL);
	if (i) {
		r = i->val;
		bpf_obj_drop(i);
	}
	return r;
}

SEC("xdp")
int xdp_kptr_nested(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 *f = data;
	__u64 res = NONE, res2 = NONE;
	struct outer *o, *old;
	struct inner *i, *oi;
	struct slot *s;
	__u32 key = 0;

	if ((void *)(f + 4) > data_end)
		return XDP_ABORTED;
	s = bpf_map_lookup_elem(&nslots, &key);
	if (!s)
		return XDP_ABORTED;
	switch (f[0]) {
	case 0:
		o = bpf_obj_new(struct outer);
		if (!o)
			return XDP_ABORTED;
		i = bpf_obj_new(struct inner);
		if (!i) {
			bpf_obj_drop(o);
			return XDP_ABORTED;
		}
		i->val = f[1];
		oi = bpf_kptr_xchg(&o->in, i);
		if (oi)
			bpf_obj_drop(oi);
		old = bpf_kptr_xchg(&s->o, o);
		if (old) {
			res = take_inner(old);
			bpf_obj_drop(old);
		}
		break;
	case 1:
		old = bpf_kptr_xchg(&s->o, NULL);
		res = 0;
		if (old) {
			res = 1;
			bpf_obj_drop(old);
		}
		break;
	case 2:
		old = bpf_kptr_xchg(&s->o, NULL);
		if (old) {
			res = take_inner(old);
			bpf_obj_drop(old);
		}
		break;
	default:
		return XDP_DROP;
	}
	f[2] = res;
	f[3] = res2;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
