// xdp_dynptr_ringbuf: each frame's first 16 bytes and length to user space through a ringbuf record
// reserved as a dynptr (bpf_ringbuf_reserve_dynptr): the bytes by bpf_dynptr_copy from the frame's XDP
// dynptr, the length through a bpf_dynptr_data slice of the record, then bpf_ringbuf_submit_dynptr;
// frames shorter than 16 bytes' worth are discarded (bpf_ringbuf_discard_dynptr). A reservation with a
// flag (-EINVAL) and one past DYNPTR_MAX_SIZE (-E2BIG) give NULL dynptrs that must be released all the
// same. Their answers go to `rb_errs`. The records: tests/programs/dynptr.test.ts.
#include "xdp_dynptr.h"

extern int bpf_dynptr_copy(struct bpf_dynptr *dst, __u32 dst_off, struct bpf_dynptr *src, __u32 src_off, __u32 size) __ksym;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __s64);
	__uint(max_entries, 4);
} rb_errs SEC(".maps");

static void put(__u32 k, __s64 v)
{
	bpf_map_update_elem(&rb_errs, &k, &v, BPF_ANY);
}

SEC("xdp")
int xdp_dynptr_ringbuf(struct xdp_md *ctx)
{
	struct bpf_dynptr frame, rec, bad;
	__u32 *len;
	long err;

	if (bpf_dynptr_from_xdp(ctx, 0, &frame))
		return XDP_ABORTED;
	err = bpf_ringbuf_reserve_dynptr(&rb, 24, 0, &rec);
	put(0, err);
	if (err) {
		bpf_ringbuf_discard_dynptr(&rec, 0);
		return XDP_PASS;
	}
	err = bpf_dynptr_copy(&rec, 0, &frame, 0, 16);
	put(1, err);
	len = bpf_dynptr_data(&rec, 16, sizeof(*len));
	if (len)
		*len = ctx->data_end - ctx->data;
	if (err)
		bpf_ringbuf_discard_dynptr(&rec, 0);
	else
		bpf_ringbuf_submit_dynptr(&rec, 0);
	put(2, bpf_ringbuf_reserve_dynptr(&rb, 8, 1, &bad));
	bpf_ringbuf_discard_dynptr(&bad, 0);
	put(3, bpf_ringbuf_reserve_dynptr(&rb, 1 << 24, 0, &bad));
	bpf_ringbuf_submit_dynptr(&bad, 0);
	return XDP_PASS;
}
