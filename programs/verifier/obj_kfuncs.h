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


/* The graph structs as uapi/linux/bpf.h (6.18) has them: opaque, 8-byte aligned. */
struct bpf_list_head { __u64 __opaque[2]; } __attribute__((aligned(8)));
struct bpf_list_node { __u64 __opaque[3]; } __attribute__((aligned(8)));

/* clang emits a struct's BTF only where the code names it: the struct a list holds that no bpf_obj_new
 * of the program names must be anchored, else the map value's contains: tag names a type the BTF lacks,
 * the map's BTF check fails and libbpf makes the map without BTF ("map 'lists' has to have BTF in order
 * to use bpf_spin_lock"). The anchor is one ld_imm64 of the type's id.
 */
#define BTF_TYPE_ANCHOR(type) asm volatile("" ::"r"(bpf_core_type_id_local(type)))

#define __contains(name, node) __attribute__((btf_decl_tag("contains:" #name ":" #node)))

extern int bpf_list_push_front_impl(struct bpf_list_head *head, struct bpf_list_node *node, void *meta, __u64 off) __ksym;
extern int bpf_list_push_back_impl(struct bpf_list_head *head, struct bpf_list_node *node, void *meta, __u64 off) __ksym;
#define bpf_list_push_front(head, node) bpf_list_push_front_impl(head, node, NULL, 0)
#define bpf_list_push_back(head, node) bpf_list_push_back_impl(head, node, NULL, 0)
extern struct bpf_list_node *bpf_list_pop_front(struct bpf_list_head *head) __ksym;
extern struct bpf_list_node *bpf_list_pop_back(struct bpf_list_head *head) __ksym;
extern struct bpf_list_node *bpf_list_front(struct bpf_list_head *head) __ksym;
extern struct bpf_list_node *bpf_list_back(struct bpf_list_head *head) __ksym;
/* bpf_rbtree (6.18): the less() callback orders the nodes (a static function passed as a pointer);
 * bpf_refcount makes an object shareable: bpf_refcount_acquire takes another owning reference. */
struct bpf_rb_root { __u64 __opaque[2]; } __attribute__((aligned(8)));
struct bpf_rb_node { __u64 __opaque[4]; } __attribute__((aligned(8)));
struct bpf_refcount { __u32 __opaque[1]; } __attribute__((aligned(4)));
extern int bpf_rbtree_add_impl(struct bpf_rb_root *root, struct bpf_rb_node *node,
			       _Bool (less)(struct bpf_rb_node *a, const struct bpf_rb_node *b),
			       void *meta, __u64 off) __ksym;
#define bpf_rbtree_add(head, node, less) bpf_rbtree_add_impl(head, node, less, NULL, 0)
extern struct bpf_rb_node *bpf_rbtree_remove(struct bpf_rb_root *root, struct bpf_rb_node *node) __ksym;
extern struct bpf_rb_node *bpf_rbtree_first(struct bpf_rb_root *root) __ksym;
extern struct bpf_rb_node *bpf_rbtree_root(struct bpf_rb_root *root) __ksym __weak;
extern struct bpf_rb_node *bpf_rbtree_left(struct bpf_rb_root *root, struct bpf_rb_node *node) __ksym __weak;
extern struct bpf_rb_node *bpf_rbtree_right(struct bpf_rb_root *root, struct bpf_rb_node *node) __ksym __weak;
extern void *bpf_refcount_acquire_impl(void *kptr, void *meta) __ksym;
#define bpf_refcount_acquire(kptr) bpf_refcount_acquire_impl(kptr, NULL)
#endif
