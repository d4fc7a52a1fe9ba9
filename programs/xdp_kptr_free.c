// What frees the objects an element's kptr holds besides bpf_kptr_xchg, an update or a delete of the element
// (tests/verifier/kptr57.test.ts, against the kernel): an LRU hash's eviction (htab_lru_map_delete_node ->
// check_and_free_fields), a per-CPU array's update (array_map_update_elem: bpf_obj_free_fields of the copies
// it wrote: the program's, this CPU's; user space's, every CPU's), a per-CPU hash's delete (each CPU's copy; an
// update of an existing element copies in place and keeps them) and the map's own end (array_map_free,
// htab_map_free). The frame's u64s: [0] the operation, [1] the key | a CPU << 8, [2] a value; results at [3]
// and [4] (0xdead: NULL). The per-CPU maps are reached through bpf_map_lookup_percpu_elem on a given CPU, so
// the results do not depend on the CPU BPF_PROG_TEST_RUN runs on.
//   0  stash a new object (val) in lru[key].p, the element made first (BPF_NOEXIST) if need be; [3] the old
//      one's val (dropped), [4] the map's update return when it made the element
//   1  stash a new object (val) in CPU cpu's copy of parr[key].p; [3] as 0
//   2  the program's own update of parr[key] (zeros: this CPU's copy); [3] its return
//   3  stash a new object (val) in CPU cpu's copy of phash[key].p (the element made first); [3] as 0
//   4  the program's own update of phash[key] (zeros, BPF_EXIST); [3] its return
//   5  delete phash[key]; [3] its return
//   6  read lru[key].p in place: [3] its val; [4] parr's then phash's objects over both CPUs,
//      each 16 bits: the number of copies holding one << 8 | the sum of their vals
// xdp_kptr_peek reads lru[key].p's val only (a direct load: the program calls nothing that allocates).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier/obj_kfuncs.h"
#include "verifier/kptr.h"

struct kobj {
	__u64 val;
};

KPTR_TYPE(kobj);

struct slot {
	__u64 tag;
	kobj_t __kptr *p;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct slot);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct slot);
} parr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct slot);
} phash SEC(".maps");

#define NONE 0xdead

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

static __always_inline __u64 both(void *map, __u32 *key)
{
	struct slot *s;
	struct kobj *o;
	__u64 n = 0, sum = 0;

	for (__u32 cpu = 0; cpu < 2; cpu++) {
		s = bpf_map_lookup_percpu_elem(map, key, cpu);
		if (!s)
			continue;
		o = s->p;
		if (o) {
			n++;
			sum += o->val;
		}
	}
	return n << 8 | (sum & 0xff);
}

static __always_inline __u64 peek(struct slot *s)
{
	struct kobj *o;

	if (!s)
		return NONE;
	o = s->p;
	return o ? o->val : NONE;
}

SEC("xdp")
int xdp_kptr_free(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 *f = data;
	__u64 res = NONE, res2 = NONE;
	struct slot *s, nv = {};
	__u32 key, cpu;

	if ((void *)(f + 5) > data_end)
		return XDP_ABORTED;
	key = f[1] & 0xff;
	cpu = f[1] >> 8;
	switch (f[0]) {
	case 0:
		s = bpf_map_lookup_elem(&lru, &key);
		if (!s) {
			res2 = bpf_map_update_elem(&lru, &key, &nv, BPF_NOEXIST);
			s = bpf_map_lookup_elem(&lru, &key);
			if (!s)
				break;
		}
		res = stash(&s->p, f[2]);
		break;
	case 1:
		s = bpf_map_lookup_percpu_elem(&parr, &key, cpu);
		if (!s)
			break;
		res = stash(&s->p, f[2]);
		break;
	case 2:
		res = bpf_map_update_elem(&parr, &key, &nv, 0);
		break;
	case 3:
		s = bpf_map_lookup_percpu_elem(&phash, &key, cpu);
		if (!s) {
			bpf_map_update_elem(&phash, &key, &nv, BPF_NOEXIST);
			s = bpf_map_lookup_percpu_elem(&phash, &key, cpu);
			if (!s)
				break;
		}
		res = stash(&s->p, f[2]);
		break;
	case 4:
		res = bpf_map_update_elem(&phash, &key, &nv, BPF_EXIST);
		break;
	case 5:
		res = bpf_map_delete_elem(&phash, &key);
		break;
	case 6:
		res = peek(bpf_map_lookup_elem(&lru, &key));
		res2 = both(&parr, &key) << 16 | both(&phash, &key);
		break;
	default:
		return XDP_DROP;
	}
	f[3] = res;
	f[4] = res2;
	return XDP_PASS;
}

SEC("xdp")
int xdp_kptr_peek(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 *f = data;
	__u32 key;

	if ((void *)(f + 5) > data_end)
		return XDP_ABORTED;
	key = f[1] & 0xff;
	f[3] = peek(bpf_map_lookup_elem(&lru, &key));
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
