// Reject: a __kptr to a program struct whose name vmlinux also has (task_struct), which has a destructor.
// btf_parse_kptr takes the kernel's task_struct for it (bpf_task_release_dtor: the BTF loads), so the
// program's bpf_obj_new object is not one (map_kptr_match_type: btf_struct_ids_match across BTFs fails,
// "invalid kptr access ... expected=ptr_task_struct").
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"
#include "kptr.h"

struct task_struct { __u64 a; };
KPTR_TYPE(task_struct);
struct kd_val { __u64 x; task_struct_t __kptr *p; };
ARRAY_MAP(kd_map, struct kd_val, 1);

SEC("xdp")
int kptr_vmlinux_dtor_struct(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct kd_val *v = bpf_map_lookup_elem(&kd_map, &k);
	struct task_struct *o, *old;

	if (!v)
		return 0;
	o = bpf_obj_new(struct task_struct);
	if (!o)
		return 0;
	old = bpf_kptr_xchg(&v->p, o);
	if (old)
		bpf_obj_drop(old);
	return 1;
}

LICENSE;
