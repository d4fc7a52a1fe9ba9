/* bpf_throw (kernel/bpf/helpers.c: BPF exceptions) and bpf_experimental.h's assertions over it, for the
 * throw_* programs. With no exception callback the program returns the cookie. (bpf_experimental.h's
 * __exception_cb names a callback in a decl tag; the libbpf 1.1 bpftool here is built with drops the
 * unreferenced callback, and the kernel refuses the object: "exception callback 'cb' could not be found in BTF".)
 */
extern void bpf_throw(__u64 cookie) __ksym;

#define bpf_assert(cond) if (!(cond)) bpf_throw(0);
#define bpf_assert_with(cond, value) if (!(cond)) bpf_throw(value);
