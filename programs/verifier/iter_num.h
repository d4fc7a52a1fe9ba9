/* The open-coded numeric iterator's kfuncs (kernel/bpf/bpf_iter.c) and its 8-byte state, as the kernel's
 * selftests declare them (bpf_experimental.h), for the iter_num_* programs.
 */
struct bpf_iter_num {
	__u64 __opaque[1];
} __attribute__((aligned(8)));

extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym;
