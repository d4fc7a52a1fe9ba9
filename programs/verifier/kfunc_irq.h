/* bpf_local_irq_save / _restore (kernel/bpf/helpers.c common_btf_ids), for the irq_* programs: the flags
 * are an 8-byte stack slot the verifier tracks (STACK_IRQ_FLAG).
 */
extern void bpf_local_irq_save(unsigned long *flags__irq_flag) __ksym;
extern void bpf_local_irq_restore(unsigned long *flags__irq_flag) __ksym;
