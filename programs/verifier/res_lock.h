/* bpf_res_spin_lock (kernel/bpf/rqspinlock.c), for the res_lock_* programs: a `struct bpf_res_spin_lock`
 * (4 bytes; the uapi header has none, the kernel matches it by name) in a map value. The lock calls (and
 * the _irqsave pair, whose flags are a STACK_IRQ_FLAG slot)
 * return 0 (held) or -EDEADLK / -ETIMEDOUT (not held): the verifier walks both.
 */
struct bpf_res_spin_lock {
	__u32 val;
};
extern int bpf_res_spin_lock(struct bpf_res_spin_lock *lock) __ksym;
extern void bpf_res_spin_unlock(struct bpf_res_spin_lock *lock) __ksym;
extern int bpf_res_spin_lock_irqsave(struct bpf_res_spin_lock *lock, unsigned long *flags__irq_flag) __ksym;
extern void bpf_res_spin_unlock_irqrestore(struct bpf_res_spin_lock *lock, unsigned long *flags__irq_flag) __ksym;

struct res_locked {
	struct bpf_res_spin_lock lock;
	__u32 cnt;
};

#define RES_LOCK_MAP(name)                          \
	struct {                                    \
		__uint(type, BPF_MAP_TYPE_ARRAY);   \
		__uint(max_entries, 2);             \
		__type(key, __u32);                 \
		__type(value, struct res_locked);   \
	} name SEC(".maps")
