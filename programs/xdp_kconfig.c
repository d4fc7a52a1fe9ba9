// `extern … __kconfig` variables of every kind libbpf fills in before load: the virtual
// LINUX_KERNEL_VERSION and LINUX_HAS_BPF_COOKIE, an unknown weak LINUX_ one (0), a strong int
// (CONFIG_HZ), a weak tristate, bool and char array, and a weak one no config sets (0). The program
// copies them into `seen` (.bss) so both the kernel's and wxdp's values can be read back.
// Used by tests/elf/kconfig.test.ts.
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern bool LINUX_HAS_BPF_COOKIE __kconfig;
extern bool LINUX_HAS_NOTHING __kconfig __weak;
extern int CONFIG_HZ __kconfig;
extern enum libbpf_tristate CONFIG_NET_SCH_FQ __kconfig __weak;
extern bool CONFIG_BPF_JIT __kconfig __weak;
extern char CONFIG_DEFAULT_HOSTNAME[16] __kconfig __weak;
extern unsigned long long CONFIG_WXDP_MISSING __kconfig __weak;

struct {
	__u32 version;
	__s32 hz;
	__u32 fq;
	__u8 cookie, nothing, jit, host0;
	__u64 missing;
} seen;

SEC("xdp")
int xdp_kconfig(struct xdp_md *ctx)
{
	seen.version = LINUX_KERNEL_VERSION;
	seen.hz = CONFIG_HZ;
	seen.fq = CONFIG_NET_SCH_FQ;
	seen.cookie = LINUX_HAS_BPF_COOKIE;
	seen.nothing = LINUX_HAS_NOTHING;
	seen.jit = CONFIG_BPF_JIT;
	seen.host0 = CONFIG_DEFAULT_HOSTNAME[0];
	seen.missing = CONFIG_WXDP_MISSING;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
