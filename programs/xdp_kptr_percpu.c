// A per-CPU object kept in a map value's __percpu_kptr between runs (tests/verifier/kptr56.test.ts, against
// the kernel). The frame's u64s: [0] the operation, [1] a value; results at [2] and [3] (0xdead: NULL).
//   0  stash a new per-CPU object (bpf_percpu_obj_new) with bpf_kptr_xchg, the old one dropped: [2] 1 if there
//      was one; then, through the stashed pointer (MEM_PERCPU | MEM_RCU), CPU 0's copy a = value and this
//      CPU's copy b = 2 * value; [3] CPU 0's a + this CPU's b, read back
//   1  load the kptr, CPU 0's copy a += value: [2] a, [3] a * 2 (0xdead for NULL)
//   2  take the object out (xchg NULL) and drop it: [2] 1 if there was one
//   3  the program's own bpf_map_update_elem of the value (zeros): [2] its return; the object is freed
// Only CPU 0's copy is compared across runs: BPF_PROG_TEST_RUN runs on whichever CPU bpftool is on.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier/obj_kfuncs.h"
#include "verifier/kptr.h"

struct pcpu_cnt {
	__u64 a;
	__u64 b;
};

KPTR_TYPE(pcpu_cnt);

struct pcpu_slot {
	__u64 tag;
	pcpu_cnt_t __percpu_kptr *p;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pcpu_slot);
} pslots SEC(".maps");

#define NONE 0xdead

SEC("xdp")
int xdp_kptr_percpu(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 *f = data;
	__u64 res = NONE, res2 = NONE;
	struct pcpu_slot *s, zero = {};
	struct pcpu_cnt *o, *old, *c0, *me;
	__u32 key = 0;

	if ((void *)(f + 4) > data_end)
		return XDP_ABORTED;
	s = bpf_map_lookup_elem(&pslots, &key);
	if (!s)
		return XDP_ABORTED;
	switch (f[0]) {
	case 0:
		o = bpf_percpu_obj_new(struct pcpu_cnt);
		if (!o)
			return XDP_ABORTED;
		old = bpf_kptr_xchg(&s->p, o);
		res = 0;
		if (old) {
			res = 1;
			bpf_percpu_obj_drop(old);
		}
		c0 = bpf_per_cpu_ptr(o, 0);
		c0->a = f[1];
		me = bpf_this_cpu_ptr(o);
		me->b = 2 * f[1];
		res2 = c0->a + me->b;
		break;
	case 1:
		o = s->p;
		if (o) {
			c0 = bpf_per_cpu_ptr(o, 0);
			c0->a += f[1];
			res = c0->a;
			res2 = c0->a * 2;
		}
		break;
	case 2:
		old = bpf_kptr_xchg(&s->p, NULL);
		res = 0;
		if (old) {
			res = 1;
			bpf_percpu_obj_drop(old);
		}
		break;
	case 3:
		res = bpf_map_update_elem(&pslots, &key, &zero, 0);
		break;
	default:
		return XDP_DROP;
	}
	f[2] = res;
	f[3] = res2;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
