// The dynptr kfuncs as the kernel declares them (kernel/bpf/helpers.c, net/core/filter.c), for the
// xdp_dynptr*.c programs; the helpers bpf_dynptr_read / _write / _data come from bpf_helper_defs.h.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern void *bpf_dynptr_slice(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt, __u32 buffer__szk) __ksym;
extern void *bpf_dynptr_slice_rdwr(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt, __u32 buffer__szk) __ksym;

char _license[] SEC("license") = "GPL";
