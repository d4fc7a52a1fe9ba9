// Reject: bpf_obj_drop of a pointer of variable offset into the object.
// A release argument must point at the object's start: __check_ptr_off_reg refuses a variable offset
// ("variable ptr_ access var_off=... disallowed", EACCES) after the fixed one's check.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"

struct big {
	__u64 a[8];
};

SEC("xdp")
int obj_drop_var_off(struct xdp_md *ctx)
{
	__u64 x = bpf_get_prandom_u32() & 32;
	struct big *o = bpf_obj_new(struct big);

	if (!o)
		return 0;
	bpf_obj_drop((char *)o + x);
	return 2;
}

LICENSE;
