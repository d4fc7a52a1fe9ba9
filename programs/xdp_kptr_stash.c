// Allocated objects kept in map values' kptrs between runs, and what frees them (tests/verifier/kptr56.test.ts,
// against the kernel). The frame's u64s: [0] the operation, [1] the slot (a key), [2] a value; the program
// writes its results at [3] and [4] (0xdead: NULL).
//   0  stash a new object (val) in the array slot's kptr p with bpf_kptr_xchg; [3] the old one's val, dropped
//   1  take p out (xchg NULL); [3] its val, dropped
//   2  read p in place (a direct load: MEM_RCU); [3] its val, [4] its seq after seq++
//   3  the program's own bpf_map_update_elem of the array slot, the value's bytes from [2] (p too); [3] its return
//   4  stash a new object (val) in the hash slot's p (the element made first if need be); [3] as op 0
//   5  bpf_map_delete_elem of the hash slot; [3] its return
//   6  a refcounted object (val): a second reference kept (bpf_refcount_acquire), the first stashed in the
//      array slot's r; [3] the old r's val (dropped), [4] the kept reference's val + 1 written through it, dropped
//   7  take r out; [3] its val, dropped
// An update or delete of an element frees its kptrs' objects (bpf_obj_free_fields: a refcounted one loses a
// reference); the update's bytes never reach a kptr (copy_map_value skips it).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier/obj_kfuncs.h"
#include "verifier/kptr.h"

struct kobj {
	__u64 val;
	__u64 seq;
};

struct kobj_rc {
	__u64 val;
	struct bpf_refcount rc;
};

KPTR_TYPE(kobj);
KPTR_TYPE(kobj_rc);

struct slot {
	__u64 tag;
	kobj_t __kptr *p;
	kobj_rc_t __kptr *r;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct slot);
} slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct slot);
} hslots SEC(".maps");

#define NONE 0xdead

/* Each bpf_obj_drop call drops one type (the kernel's fixup puts that type's meta in r2), but clang 14
 * merges two types' drops into one call, which the kernel refuses ("same call cannot be used with
 * different types"): the refcounted type's operations live in a function of their own (rc_op). */
static __noinline __u64 rc_op(struct slot *s, __u64 op, __u64 val, __u64 *res2)
{
	struct kobj_rc *e, *m, *old;
	__u64 res = NONE;

	if (op == 6) {
		e = bpf_obj_new(struct kobj_rc);
		if (!e)
			return 0xfee;
		e->val = val;
		m = bpf_refcount_acquire(e);
		old = bpf_kptr_xchg(&s->r, e);
		if (old) {
			res = old->val;
			bpf_obj_drop(old);
		}
		m->val += 1;
		*res2 = m->val;
		bpf_obj_drop(m);
		return res;
	}
	old = bpf_kptr_xchg(&s->r, NULL);
	if (old) {
		res = old->val;
		bpf_obj_drop(old);
	}
	return res;
}

static __always_inline __u64 stash(kobj_t **field, __u64 val)
{
	struct kobj *o = bpf_obj_new(struct kobj), *old;
	__u64 r = NONE;

	if (!o)
		return 0xfee;
	o->val = val;
	old = bpf_kptr_xchg(field, o);
	if (old) {
		r = old->val;
		bpf_obj_drop(old);
	}
	return r;
}

SEC("xdp")
int xdp_kptr_stash(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 *f = data;
	__u64 res = NONE, res2 = NONE;
	struct slot *s, nv = {};
	__u32 key;

	if ((void *)(f + 5) > data_end)
		return XDP_ABORTED;
	key = f[1] & 3;
	s = bpf_map_lookup_elem(&slots, &key);
	if (!s)
		return XDP_ABORTED;
	switch (f[0]) {
	case 0:
		res = stash(&s->p, f[2]);
		break;
	case 1: {
		struct kobj *old = bpf_kptr_xchg(&s->p, NULL);

		if (old) {
			res = old->val;
			bpf_obj_drop(old);
		}
		break;
	}
	case 2: {
		struct kobj *o = s->p;

		if (o) {
			res = o->val;
			o->seq++;
			res2 = o->seq;
		}
		break;
	}
	case 3:
		nv.tag = f[2];
		__builtin_memcpy((void *)&nv.p, &f[2], 8);
		res = bpf_map_update_elem(&slots, &key, &nv, 0);
		break;
	case 4: {
		struct slot *h = bpf_map_lookup_elem(&hslots, &key);

		if (!h) {
			bpf_map_update_elem(&hslots, &key, &nv, BPF_NOEXIST);
			h = bpf_map_lookup_elem(&hslots, &key);
			if (!h)
				return XDP_ABORTED;
		}
		res = stash(&h->p, f[2]);
		break;
	}
	case 5:
		res = bpf_map_delete_elem(&hslots, &key);
		break;
	case 6:
	case 7:
		res = rc_op(s, f[0], f[2], &res2);
		break;
	default:
		return XDP_DROP;
	}
	f[3] = res;
	f[4] = res2;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
