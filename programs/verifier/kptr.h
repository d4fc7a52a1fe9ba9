/* kptrs: a map value's pointer to an allocated object, tagged for the kernel by a BTF type tag on the
 * pointee (btf_find_kptr): "kptr" (BPF_KPTR_REF: the map owns a reference; only bpf_kptr_xchg changes it),
 * "kptr_untrusted" (BPF_KPTR_UNREF: any pointer of the type, or NULL, stored and loaded as untrusted).
 * A struct of the program's BTF that vmlinux has no struct of that name for is a MEM_ALLOC kptr
 * (btf_parse_kptr): bpf_obj_new's objects.
 *
 * clang 14 drops the type tag of a struct member pointing straight at a struct (BTFDebug's fixup of
 * pointers to named structs, for forward declarations, keeps no annotations): `struct obj __kptr *p`
 * gives PTR -> STRUCT, and the kernel finds no kptr ("R1 has no valid kptr"). Through a typedef the tag
 * stays: PTR -> TYPE_TAG kptr -> TYPEDEF -> STRUCT, and the kernel skips the typedef
 * (btf_type_skip_modifiers). KPTR_TYPE(name) declares that typedef, name_t, for struct name.
 */
#ifndef WXDP_KPTR_H
#define WXDP_KPTR_H

#define __kptr_untrusted __attribute__((btf_type_tag("kptr_untrusted")))
/* BPF_KPTR_PERCPU: a bpf_percpu_obj_new object (a copy of the struct per CPU, reached through
 * bpf_this_cpu_ptr / bpf_per_cpu_ptr only) */
#define __percpu_kptr __attribute__((btf_type_tag("percpu_kptr")))

extern void *bpf_percpu_obj_new_impl(__u64 local_type_id, void *meta) __ksym;
extern void bpf_percpu_obj_drop_impl(void *kptr, void *meta) __ksym;
#define bpf_percpu_obj_new(type) ((type *)bpf_percpu_obj_new_impl(bpf_core_type_id_local(type), NULL))
#define bpf_percpu_obj_drop(kptr) bpf_percpu_obj_drop_impl(kptr, NULL)
#define KPTR_TYPE(name) typedef struct name name##_t

#endif
