/* Shared by the verifier corpus (programs/verifier/reject/ and accept/).
 *
 * Most corpus programs must be exactly the instructions that show one case, which clang -O2 would
 * fold away or refuse, so they are written in BPF assembly inside a naked function, as the kernel's
 * selftests do (tools/testing/selftests/bpf/progs/verifier_*.c). What clang 14 allows, found by trial:
 *  - `__attribute__((naked))` works for -target bpf; the function must take no parameters
 *    (`int prog(void)`), else its BTF has a nameless argument and the kernel refuses the object's BTF.
 *    On entry r1 is still the xdp_md pointer.
 *  - A map's address is an "i" operand: `r1 = %[map] ll` with __imm_addr(map) assembles to a
 *    ld_imm64 with an R_BPF_64_64 relocation, which libbpf turns into the map's fd.
 *  - libbpf 1.1's helper declarations are not `const`, so `"i"(bpf_map_lookup_elem)` does not fold:
 *    __imm(map_lookup_elem) passes BPF_FUNC_map_lookup_elem instead (`call %[map_lookup_elem]`).
 *  - clang 14's assembler has no store-immediate syntax (`*(u32 *)(r10 - 8) = 0`): store a register.
 */
#ifndef WXDP_VERIFIER_H
#define WXDP_VERIFIER_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define __naked __attribute__((naked))
#define __imm(name) [name] "i"(BPF_FUNC_##name)
#define __imm_const(name, value) [name] "i"(value)
#define __imm_addr(name) [name] "i"(&name)
#define __clobber_all "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "memory"

/* xdp_md field offsets, for the assembly programs. */
#define __xdp_data __imm_const(xdp_data, offsetof(struct xdp_md, data))
#define __xdp_data_end __imm_const(xdp_data_end, offsetof(struct xdp_md, data_end))
#define __xdp_data_meta __imm_const(xdp_data_meta, offsetof(struct xdp_md, data_meta))

/* Instruction sequences many programs start with. Each says what it sets and which operands the
 * asm statement must pass; the instructions stay visible in the object's disassembly.
 */

/* r2 = data, r3 = data_end, r4 = data + n (from r1 = ctx). Operands: __xdp_data, __xdp_data_end. */
#define ASM_PKT_PTRS(n)                                  \
	"r2 = *(u32 *)(r1 + %[xdp_data]);"              \
	"r3 = *(u32 *)(r1 + %[xdp_data_end]);"          \
	"r4 = r2;"                                       \
	"r4 += " #n ";"

/* r0 = bpf_map_lookup_elem(&map, &key) with key = 0 (a u32 at fp-4).
 * Operands: __imm_addr(map), __imm(map_lookup_elem).
 */
#define ASM_LOOKUP_KEY0(map)                             \
	"r1 = 0;"                                        \
	"*(u32 *)(r10 - 4) = r1;"                        \
	"r2 = r10;"                                      \
	"r2 += -4;"                                      \
	"r1 = %[" #map "] ll;"                           \
	"call %[map_lookup_elem];"

/* r0 = bpf_ringbuf_reserve(&map, size, 0). Operands: __imm_addr(map), __imm(ringbuf_reserve). */
#define ASM_RINGBUF_RESERVE(map, size)                   \
	"r1 = %[" #map "] ll;"                           \
	"r2 = " #size ";"                                \
	"r3 = 0;"                                        \
	"call %[ringbuf_reserve];"

/* bpf_ringbuf_submit(reg, 0). Operand: __imm(ringbuf_submit). */
#define ASM_RINGBUF_SUBMIT(reg)                          \
	"r1 = " #reg ";"                                 \
	"r2 = 0;"                                        \
	"call %[ringbuf_submit];"

/* A chain of bpf-to-bpf calls: name(x) returns next(x + 1); the empty asm keeps clang from
 * turning the chain into a loop or a tail call.
 */
#define CALL_LEVEL(name, next)                           \
	static __noinline int name(int x)                \
	{                                                \
		int r = next(x + 1);                     \
		asm volatile("" : "+r"(r));              \
		return r;                                \
	}

/* The maps most programs need, one line each where used. */
#define ARRAY_MAP(name, value_type, entries)       \
	struct {                                   \
		__uint(type, BPF_MAP_TYPE_ARRAY);  \
		__type(key, __u32);                \
		__type(value, value_type);         \
		__uint(max_entries, entries);      \
	} name SEC(".maps")

#define HASH_MAP(name, value_type, entries)        \
	struct {                                   \
		__uint(type, BPF_MAP_TYPE_HASH);   \
		__type(key, __u32);                \
		__type(value, value_type);         \
		__uint(max_entries, entries);      \
	} name SEC(".maps")

#define RINGBUF_MAP(name)                            \
	struct {                                     \
		__uint(type, BPF_MAP_TYPE_RINGBUF);  \
		__uint(max_entries, 4096);           \
	} name SEC(".maps")

#define PROG_ARRAY_MAP(name, entries)                  \
	struct {                                       \
		__uint(type, BPF_MAP_TYPE_PROG_ARRAY); \
		__uint(key_size, sizeof(__u32));       \
		__uint(value_size, sizeof(__u32));     \
		__uint(max_entries, entries);          \
	} name SEC(".maps")

#define LICENSE char _license[] SEC("license") = "GPL"

/* The argument tags of a global function (libbpf 1.3's bpf_helpers.h; kernel btf_prepare_func_args):
 * a BTF decl_tag "arg:<tag>" on the parameter, which clang 14 emits.
 */
#define __arg_ctx __attribute__((btf_decl_tag("arg:ctx")))
#define __arg_nonnull __attribute__((btf_decl_tag("arg:nonnull")))
#define __arg_nullable __attribute__((btf_decl_tag("arg:nullable")))
#define __arg_trusted __attribute__((btf_decl_tag("arg:trusted")))
#define __arg_arena __attribute__((btf_decl_tag("arg:arena")))
#define __arg_untrusted __attribute__((btf_decl_tag("arg:untrusted")))

#endif
