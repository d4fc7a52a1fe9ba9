/* BPF's allocated objects (kernel/bpf/helpers.c, declared as the selftests' bpf_experimental.h declares
 * them): bpf_obj_new(type) allocates a zeroed object of a struct of the program's own BTF (its local type
 * id, a CO-RE TYPE_ID_LOCAL relocation) and returns an owning reference or NULL; bpf_obj_drop frees it.
 * The graph fields: a `struct bpf_list_head` / `bpf_rb_root` names the type and member it holds with a
 * `contains:TYPE:FIELD` BTF decl tag; a bpf_spin_lock beside it guards it.
 */
#ifndef WXDP_OBJ_KFUNCS_H
#define WXDP_OBJ_KFUNCS_H
#include <bpf/bpf_core_read.h>

extern void *bpf_obj_new_impl(__u64 local_type_id, void *meta) __ksym;
extern void bpf_obj_drop_impl(void *kptr, void *meta) __ksym;
#define bpf_obj_new(type) ((type *)bpf_obj_new_impl(bpf_core_type_id_local(type), NULL))
#define bpf_obj_drop(kptr) bpf_obj_drop_impl(kptr, NULL)

#endif
