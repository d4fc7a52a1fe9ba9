// Reject: a __kptr to a program struct whose name vmlinux also has (in_device), which has no destructor.
// btf_parse_kptr takes such a name for the kernel's type; a referenced kptr to a kernel type needs a
// destructor kfunc (btf_find_dtor_kfunc: -ENOENT), so BPF_BTF_LOAD refuses the object's BTF, libbpf loads
// without it ("BTF is optional, ignoring"), and bpf_obj_new finds no program BTF.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"
#include "kptr.h"

struct in_device { __u64 a; };
KPTR_TYPE(in_device);
struct kv_val { __u64 x; in_device_t __kptr *p; };
ARRAY_MAP(kv_map, struct kv_val, 1);

SEC("xdp")
int kptr_vmlinux_struct(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct kv_val *v = bpf_map_lookup_elem(&kv_map, &k);
	struct in_device *o, *old;

	if (!v)
		return 0;
	o = bpf_obj_new(struct in_device);
	if (!o)
		return 0;
	old = bpf_kptr_xchg(&v->p, o);
	if (old)
		bpf_obj_drop(old);
	return 1;
}

LICENSE;
