/* The section kfuncs (kernel/bpf/helpers.c common_btf_ids): an RCU read section and a preemption-disabled
 * region the verifier tracks, for the rcu_* and preempt_* programs.
 */
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;
extern void bpf_preempt_disable(void) __ksym;
extern void bpf_preempt_enable(void) __ksym;
