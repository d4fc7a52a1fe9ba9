/* bpf_cast_to_kern_ctx and bpf_rdonly_cast (kernel/bpf/helpers.c common_btf_ids), as bpf_experimental.h
 * declares them, and the kernel structs the cast_* programs read (a vmlinux.h subset: preserve_access_index,
 * so libbpf, or wxdp, relocates each field to the running kernel's, or wxdp's, offset).
 */
struct net_device { int ifindex; unsigned int mtu; } __attribute__((preserve_access_index));
struct xdp_rxq_info { struct net_device *dev; __u32 queue_index; } __attribute__((preserve_access_index));
struct xdp_buff {
	void *data;
	void *data_end;
	void *data_meta;
	void *data_hard_start;
	struct xdp_rxq_info *rxq;
	__u32 frame_sz;
	__u32 flags;
} __attribute__((preserve_access_index));

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;
extern void *bpf_rdonly_cast(const void *obj__ign, __u32 btf_id__k) __ksym;

/* bpf_core_read.h's bpf_core_type_id_kernel: the type's BTF id in the kernel's BTF (a CO-RE relocation) */
#define bpf_core_type_id_kernel(type) __builtin_btf_type_id(*(typeof(type) *)0, 1)
