// bpf_wq from XDP (tests/programs/wq.test.ts, against the kernel): a map value's struct bpf_wq, bpf_wq_init then
// bpf_wq_start; with WQ_CALLBACK set (xdp_wq_callback.c) bpf_wq_set_callback_impl between them. 6.18.44-fc
// refuses the callback in XDP: the wq callback is sleepable and an XDP program is not ('sleepable callback in a
// program that is not sleepable', 'kfunc bpf_wq_set_callback_impl#... failed callback verification': EPERM), so
// an XDP program's bpf_wq_start never finds a callback: -EINVAL. bpf_wq_init answers 0, then -EBUSY while the
// element keeps its wq (a user-space update frees it: bpf_obj_free_fields). The frame's u64 [0] after a run:
// init's result, start's in [1].
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_wq {
	__u64 __opaque[2];
} __attribute__((aligned(8)));

extern int bpf_wq_init(struct bpf_wq *wq, void *p__map, unsigned int flags) __ksym;
extern int bpf_wq_start(struct bpf_wq *wq, unsigned int flags) __ksym;
extern int bpf_wq_set_callback_impl(struct bpf_wq *wq, int (callback_fn)(void *map, int *key, void *value),
				    unsigned int flags, void *aux__ign) __ksym;

struct val {
	__u64 n;
	struct bpf_wq wq;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct val);
} wqs SEC(".maps");

#ifdef WQ_CALLBACK
static int bump(void *map, int *key, void *value)
{
	((struct val *)value)->n++;
	return 0;
}
#endif

SEC("xdp")
int xdp_wq(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u64 *f = data;
	struct val *v;
	int k = 0;

	if ((void *)(f + 2) > end)
		return XDP_ABORTED;
	v = bpf_map_lookup_elem(&wqs, &k);
	if (!v)
		return XDP_ABORTED;
	f[0] = bpf_wq_init(&v->wq, &wqs, 0);
#ifdef WQ_CALLBACK
	bpf_wq_set_callback_impl(&v->wq, bump, 0, NULL);
#endif
	f[1] = bpf_wq_start(&v->wq, 0);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
