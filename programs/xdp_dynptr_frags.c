// xdp_dynptr_frags: an XDP dynptr over a multi-buffer frame (SEC("xdp.frags")): the linear part, then
// 4 KiB fragments. The program's answers go into the frame's own first bytes so that data_out shows
// them. Three read-only slices of 8 bytes, with a buffer, at offsets `cfg.off[i]`: a slice inside one
// piece is a pointer into the frame, and its first byte is then changed by bpf_dynptr_write (as the
// program once wrote through bpf_dynptr_slice_rdwr, which 6.18.44-fc-v1252 refuses); one across two
// pieces is the buffer, and the frame is left alone; without a buffer, a slice across pieces is NULL. bpf_dynptr_read / _write across the boundary, bpf_dynptr_memset of 300 bytes over
// it (bpf_dynptr_memset's 256-byte chunks), bpf_dynptr_copy from the tail to the head, and the dynptr
// size (bpf_xdp_get_buff_len) are reported. Used by tests/programs/dynptr_frags.test.ts, which runs
// it in the kernel (bpftool prog run, data_in larger than a page) and in wxdp.
#include "xdp_dynptr.h"

extern int bpf_dynptr_copy(struct bpf_dynptr *dst, __u32 dst_off, struct bpf_dynptr *src, __u32 src_off, __u32 size) __ksym;
extern int bpf_dynptr_memset(struct bpf_dynptr *p, __u32 offset, __u32 size, __u8 val) __ksym;
extern __u32 bpf_dynptr_size(const struct bpf_dynptr *p) __ksym;

struct report {
	__u32 size;
	__u8 slice_kind[3];	// 0 NULL, 1 a pointer into the frame, 2 the buffer
	__u8 nobuf_kind;
	__s32 read_err, write_err, memset_err, copy_err, far_err;
	__u8 seen[8];		// the bytes read across the boundary
};

const volatile __u32 off0 = 100, off1 = 3516, off2 = 4000, boundary = 3520;

static __always_inline __u8 kind(void *p, void *buf)
{
	return !p ? 0 : p == buf ? 2 : 1;
}

SEC("xdp.frags")
int xdp_dynptr_frags(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	struct report r = {};
	__u8 b0[8], b1[8], b2[8], w[8] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7 };
	__u8 *p;

	if (bpf_dynptr_from_xdp(ctx, 0, &d))
		return XDP_ABORTED;
	r.size = bpf_dynptr_size(&d);
	p = bpf_dynptr_slice(&d, off0, b0, 8);
	r.slice_kind[0] = kind(p, b0);
	if (r.slice_kind[0] == 1)
		bpf_dynptr_write(&d, off0, &(__u8){ 0x11 }, 1, 0);
	p = bpf_dynptr_slice(&d, off1, b1, 8);
	r.slice_kind[1] = kind(p, b1);
	if (r.slice_kind[1] == 1)
		bpf_dynptr_write(&d, off1, &(__u8){ 0x22 }, 1, 0);
	p = bpf_dynptr_slice(&d, off2, b2, 8);
	r.slice_kind[2] = kind(p, b2);
	if (r.slice_kind[2] == 1)
		bpf_dynptr_write(&d, off2, &(__u8){ 0x33 }, 1, 0);
	r.nobuf_kind = kind(bpf_dynptr_slice(&d, off1, 0, 8), 0);
	r.read_err = bpf_dynptr_read(r.seen, 8, &d, boundary - 4, 0);
	r.write_err = bpf_dynptr_write(&d, boundary - 2, w, 8, 0);
	r.memset_err = bpf_dynptr_memset(&d, boundary + 100, 300, 0x5a);
	r.copy_err = bpf_dynptr_copy(&d, 200, &d, r.size - 64, 64);
	r.far_err = bpf_dynptr_read(b0, 8, &d, r.size - 4, 0);
	if (bpf_dynptr_write(&d, 0, &r, sizeof(r), 0))
		return XDP_DROP;
	return XDP_PASS;
}
