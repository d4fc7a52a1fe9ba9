// Reject: an 8-byte load that starts inside the scalar before a __kptr and covers half of it.
// check_map_access: any access touching a kptr field must be at its offset exactly.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"
#include "kptr.h"

struct km_obj { __u64 a; };
KPTR_TYPE(km_obj);
struct km_val { __u64 x; km_obj_t __kptr *p; };
ARRAY_MAP(km_map, struct km_val, 1);

SEC("xdp")
__naked int kptr_access_misaligned(void)
{
	asm volatile(
		ASM_LOOKUP_KEY0(km_map)
		"if r0 == 0 goto 1f;"
		"r0 = *(u64 *)(r0 + 4);"
		"1: exit;"
		:
		: __imm_addr(km_map), __imm(map_lookup_elem)
		: __clobber_all);
}

/* the kptr's struct in the BTF (no code here names it) */
struct km_obj *km_anchor(void) { BTF_TYPE_ANCHOR(struct km_obj); return 0; }

LICENSE;
