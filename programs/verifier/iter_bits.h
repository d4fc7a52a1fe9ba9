/* The open-coded bit iterator's kfuncs (kernel/bpf/helpers.c) and its 16-byte state, as the kernel's
 * selftests declare them (verifier_bits_iter.c), for the iter_bits_* programs.
 */
struct bpf_iter_bits {
	__u64 __opaque[2];
} __attribute__((aligned(8)));

extern int bpf_iter_bits_new(struct bpf_iter_bits *it, const __u64 *unsafe_ptr__ign, __u32 nr_words) __ksym;
extern int *bpf_iter_bits_next(struct bpf_iter_bits *it) __ksym;
extern void bpf_iter_bits_destroy(struct bpf_iter_bits *it) __ksym;
