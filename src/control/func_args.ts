// A global function's arguments, from the object's BTF (kernel/bpf/btf.c: btf_prepare_func_args).
//
// Reads: the program's func_info (which functions are global) and the BTF of each: its prototype and
// the `decl_tag` entries "arg:<tag>" on its parameters (libbpf's __arg_ctx, __arg_nonnull, ...).
// Sets: one GlobalArg per parameter, what the verifier checks a call against (btf_check_func_arg_match)
// and gives the function's registers when it verifies it alone (do_check_common); or, for a prototype
// the kernel refuses, the refusal, which the verifier reports where the kernel does: at the first
// verified call ("Caller passes invalid args into func#N").
// Static functions are walked with their caller's registers: their prototype does not matter (an
// arg: tag on one is refused by btf_prepare_func_args, which check_func_call ignores for a static
// callee but to mark its BTF unreliable).

import type { Btf, BtfType } from '../elf/btf.js';
import type { ProgramSpec } from '../elf/index.js';
import type { GlobalArg, GlobalFunc } from '../verifier/verifier.js';
import type { VerifierProgType } from '../verifier/protos.js';

/** The context structs a global function's argument may point to untagged (btf_get_prog_ctx_type). */
const CTX_STRUCTS = new Set(['xdp_md', 'bpf_sk_lookup', 'sk_reuseport_md']);

/** enum btf_arg_tag (btf.c), the tags "arg:" may name. */
const ARG_TAG = { ctx: 1, nonnull: 2, trusted: 4, untrusted: 8, nullable: 16, arena: 32 } as const;
type ArgTag = keyof typeof ARG_TAG;

/** btf_prepare_func_args refusing a prototype: its log line and return value. */
class PrepareError extends Error {
  constructor(
    message: string,
    readonly errno: 'EINVAL' | 'EOPNOTSUPP' | 'ENOENT',
  ) {
    super(message);
  }
}

/**
 * The program's global functions and their argument kinds from BTF (btf_prepare_func_args): the
 * kernel verifies each once, on its own, and checks call sites against the prototype.
 */
export function globalFuncs(spec: ProgramSpec, btf: Btf, progType: VerifierProgType): GlobalFunc[] {
  const out: GlobalFunc[] = [];
  let tags: Map<number, BtfType[]> | undefined;
  for (const fi of spec.funcInfo) {
    const fn = btf.type(fi.typeId);
    if (fn.kind !== 'func' || fn.linkage !== 'global' || fi.index === 0) continue;
    const proto = btf.type(fn.type);
    if (proto.kind !== 'func_proto') continue;
    tags ??= declTagsByTarget(btf);
    const fnTags = tags.get(fn.id) ?? [];
    try {
      // (the kernel checks the return type before the arguments; a function of more than five
      // arguments clang refuses to compile for BPF)
      const ret = btf.skipModsAndTypedefs(proto.returnType);
      if (ret.kind !== 'int' && ret.kind !== 'enum' && ret.kind !== 'enum64') {
        throw new PrepareError(`Global function ${fn.name}() doesn't return scalar. Only those are supported.`, 'EINVAL');
      }
      const args = proto.params.map((p, i) => prepareArg(btf, fn.name, p.type, i, argTags(fnTags, i), progType));
      out.push({ name: fn.name, entry: fi.index, args });
    } catch (e) {
      if (!(e instanceof PrepareError)) throw e;
      out.push({ name: fn.name, entry: fi.index, args: [], invalid: { message: e.message, errno: e.errno } });
    }
  }
  return out;
}

/** Every decl_tag of the BTF by the type it tags, in id order (btf_find_next_decl_tag's walk). */
function declTagsByTarget(btf: Btf): Map<number, BtfType[]> {
  const m = new Map<number, BtfType[]>();
  for (const t of btf.types) {
    if (t.kind !== 'decl_tag') continue;
    const l = m.get(t.type);
    if (l) l.push(t);
    else m.set(t.type, [t]);
  }
  return m;
}

/** The "arg:" tags of parameter `i`, as a set of ARG_TAG bits; an unknown one is EOPNOTSUPP. */
function argTags(fnTags: readonly BtfType[], i: number): number {
  let tags = 0;
  for (const t of fnTags) {
    if (t.kind !== 'decl_tag' || t.componentIdx !== i || !t.name.startsWith('arg:')) continue;
    const tag = t.name.slice(4);
    if (!Object.hasOwn(ARG_TAG, tag)) throw new PrepareError(`arg#${i} has unsupported set of tags`, 'EOPNOTSUPP');
    tags |= ARG_TAG[tag as ArgTag];
  }
  return tags;
}

/** btf_prepare_func_args' loop body for a global function's parameter `i` of BTF type `typeId`. */
function prepareArg(btf: Btf, fname: string, typeId: number, i: number, tags: number, progType: VerifierProgType): GlobalArg {
  const t = btf.skipModsAndTypedefs(typeId);
  if (t.kind !== 'ptr') {
    if (tags) throw new PrepareError(`arg#${i} has pointer tag, but is not a pointer type`, 'EINVAL');
    if (t.kind === 'int' || t.kind === 'enum' || t.kind === 'enum64') return { kind: 'scalar' };
    throw new PrepareError(`Arg#${i} type ${BTF_KIND_STR[t.kind] ?? t.kind} in ${fname}() is not supported yet.`, 'EINVAL');
  }
  const target = btf.skipModsAndTypedefs(t.type);
  const invalidCombination = (): never => {
    throw new PrepareError(`arg#${i} has invalid combination of tags`, 'EINVAL');
  };
  if (tags & ARG_TAG.ctx || ((target.kind === 'struct' || target.kind === 'fwd') && CTX_STRUCTS.has(target.name))) {
    if (tags & ~ARG_TAG.ctx) invalidCombination();
    if (tags & ARG_TAG.ctx) validateCtxType(target, i, progType);
    return { kind: 'ctx' };
  }
  // btf_is_dynptr_ptr: struct bpf_dynptr, or its forward declaration (a struct's: kflag 0)
  if ((target.kind === 'struct' || (target.kind === 'fwd' && !target.union)) && target.name === 'bpf_dynptr') {
    if (tags) invalidCombination();
    return { kind: 'dynptr' };
  }
  if (tags & ARG_TAG.trusted) {
    if (tags & ARG_TAG.nonnull) invalidCombination();
    throw noKernelType(target, i);
  }
  if (tags & ARG_TAG.untrusted) {
    if (tags & ~ARG_TAG.untrusted) throw new PrepareError(`arg#${i} untrusted cannot be combined with any other tags`, 'EINVAL');
    // void * and pointers to primitives (btf_type_is_primitive: an int, an enum) are PTR_TO_MEM |
    // MEM_RDONLY | PTR_UNTRUSTED of size 0, read by probe loads at any offset; anything else is a
    // PTR_TO_BTF_ID of the kernel's struct of that name.
    if (target.kind === 'void' || target.kind === 'int' || target.kind === 'enum' || target.kind === 'enum64') return { kind: 'untrusted_mem' };
    throw noKernelType(target, i);
  }
  if (tags & ARG_TAG.arena) {
    if (tags & ~ARG_TAG.arena) throw new PrepareError(`arg#${i} arena cannot be combined with any other tags`, 'EINVAL');
    return { kind: 'arena' };
  }
  // a generic user data pointer: memory of the pointee's size, maybe NULL unless tagged nonnull
  if (tags & ARG_TAG.nullable) invalidCombination();
  // btf_resolve_size of the pointee (modifiers and typedefs skipped): void, a forward declaration, a
  // function have no size, and the function is refused (`void *data` given a packet pointer:
  // "arg#0 reference type('UNKNOWN ') size cannot be determined: -22", Linux 6.18.44)
  let size: number;
  try {
    size = btf.resolveSize(target.id);
  } catch {
    throw new PrepareError(`arg#${i} reference type('${BTF_KIND_STR[target.kind] ?? target.kind} ${target.name ?? ''}') size cannot be determined: -22`, 'EINVAL');
  }
  return { kind: 'mem', size, ...(tags & ARG_TAG.nonnull ? { nonnull: true } : {}) };
}

/**
 * btf_get_ptr_to_btf_id: a trusted / untrusted argument points to the kernel's type of the same
 * name (bpf_core_find_cands). wxdp has no kernel types for an XDP program to hold, so every such
 * type is refused as the kernel refuses one it does not have.
 */
function noKernelType(t: BtfType, i: number): PrepareError {
  const type = `${BTF_KIND_STR[t.kind] ?? t.kind} ${t.name || '(anon)'}`;
  // bpf_core_find_cands: a type without a name has no candidates to look for (-EINVAL)
  if (!t.name) return new PrepareError(`arg#${i} reference type('${type}') candidate matching error: -22`, 'EINVAL');
  return new PrepareError(`arg#${i} reference type('${type}') has no matches`, 'ENOENT');
}

/**
 * btf_validate_prog_ctx_type for an arg:ctx argument: `void *`, or a pointer to the program type's
 * context struct (find_canonical_prog_ctx_type), with the per-type exceptions.
 */
function validateCtxType(t: BtfType, i: number, progType: VerifierProgType): void {
  if (t.kind === 'void') return;
  if (!t.name) throw new PrepareError(`arg#${i} type doesn't have a name`, 'EINVAL');
  const u64 = t.kind === 'int' && t.size === 8;
  let canonical: string | undefined;
  switch (progType) {
    case 'tracepoint':
      return; // anything goes
    case 'raw_tracepoint':
      if (u64) return;
      canonical = 'bpf_raw_tracepoint_args';
      break;
    case 'tracing':
      // tp_btf (BPF_TRACE_RAW_TP): its args struct, or u64 *; TRACING's context is `void *`
      if (u64 || (t.kind === 'struct' && t.name === 'bpf_raw_tracepoint_args')) return;
      throw new PrepareError(`arg#${i} should be void pointer`, 'EINVAL');
    case 'sk_lookup':
      canonical = 'bpf_sk_lookup';
      break;
    case 'sk_reuseport':
      canonical = 'sk_reuseport_md';
      break;
    default:
      canonical = 'xdp_md';
  }
  if (t.kind !== 'struct' || t.name !== canonical) throw new PrepareError(`arg#${i} should be \`struct ${canonical} *\``, 'EINVAL');
}

/** btf_type_str: the kernel's names of BTF kinds. */
const BTF_KIND_STR: Partial<Record<BtfType['kind'], string>> = {
  void: 'UNKNOWN',
  int: 'INT',
  ptr: 'PTR',
  array: 'ARRAY',
  struct: 'STRUCT',
  union: 'UNION',
  enum: 'ENUM',
  fwd: 'FWD',
  typedef: 'TYPEDEF',
  volatile: 'VOLATILE',
  const: 'CONST',
  restrict: 'RESTRICT',
  func: 'FUNC',
  func_proto: 'FUNC_PROTO',
  var: 'VAR',
  datasec: 'DATASEC',
  float: 'FLOAT',
  decl_tag: 'DECL_TAG',
  type_tag: 'TYPE_TAG',
  enum64: 'ENUM64',
};
