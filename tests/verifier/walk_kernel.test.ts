// The verifier walks a program as the kernel's do_check does: the same checkpoints (add_new_state's
// heuristics: jumps and instructions since the last one, counted with a visit pruned at is_state_visited;
// a jump history of jmp points and stack accesses past 40 entries; no checkpoint while a state of the loop
// is in flight), compared newest first with in-flight and finished ones in one list, misses counted and
// states evicted as the kernel does, and each new checkpoint made imprecise before it is copied. When all
// of that is right the processed-instruction count is the kernel's to the instruction, since every
// visit, pruned or not, is one instruction of it.
//
// The counts are Linux 6.18's (6.18.44, libbpf, verifier log level 4: bench/kernel_verify.c, run on
// 2026-12-03). Before, wxdp matched 23 of these programs; loop_tcpopt was 353k (1.35x) and the pruned
// visits were not counted.

import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';

const root = new URL('../../', import.meta.url).pathname;

/** object:program -> the kernel's "processed N insns". */
const KERNEL: Record<string, number> = {
  'xdp_tcpopt:loop_tcpopt': 262417,
  'xdp_parse:xdp_parse': 134242,
  'xdp_loops:loop_bytes': 1554,
  'xdp_loops:loop_toeplitz': 2469,
  'xdp_loops:loop_acl': 974,
  'fib_probe:fib_probe': 432,
  'xdp_dns_filter:xdp_dns_filter': 263,
  'xdp_fib_forward:xdp_fib_forward': 294,
  'xdp_flow_count:xdp_flow_count': 164,
  'xdp_globals:xdp_globals': 166,
  'xdp_icmp_echo:xdp_icmp_echo': 255,
  'xdp_lpm_firewall:xdp_lpm_firewall': 271,
  'xdp_map_in_map:xdp_map_in_map': 201,
  'xdp_meta:xdp_meta': 340,
  'xdp_perf_dump:xdp_perf_dump': 175,
  'xdp_proto_count:xdp_proto_count': 183,
  'xdp_redirect:xdp_redirect': 258,
  'xdp_sampler:xdp_sampler': 302,
  'xdp_trim:xdp_trim': 176,
  // Its atomic adds to a map value are passed by in backtracking, as the kernel's backtrack_insn does.
  'xdp_lb:xdp_lb': 464,
  // katran's balancer was walked at 0.55x the kernel's count (50,041 of 88,879): these three show why
  // (bpftool -d prog load, 6.18.44). An old 64-bit spilled scalar pruned a slot holding a narrower
  // spill (stacksafe's scalar_reg_for_stack: only an all-MISC slot compares as the unbound scalar);
  // main: 29.
  'verifier/accept/spill_narrow_not_pruned:spill_narrow_not_pruned': 31,
  // A spilled scalar shares an id with its register (assign_scalar_id_before_mov); main refused it.
  'verifier/accept/spill_links_register:spill_links_register': 12,
  // `if r1 == 0` of a map pointer is decided (reg_not_null has CONST_PTR_TO_MAP); main refused it.
  'verifier/accept/map_pointer_never_null:map_pointer_never_null': 7,
  // A zero register stored off a slot boundary (STACK_ZERO, no spill) is made precise, as
  // check_stack_write_fixed_off does (bpftool -d prog load, 6.18.44); main: 937.
  // (6.18.44-fc-v1252, the object rebuilt without bpf_dynptr_slice_rdwr, which that build refuses: 278;
  // the old object, 6.18.44: 1130)
  'xdp_dynptr_frags:xdp_dynptr_frags': 278,
  // Backtracking passes a kfunc call as a helper call (it sets r0); main fell back to marking every
  // scalar precise there, so fewer paths were pruned: 753.
  // (6.18.44-fc-v1252, the object rebuilt with bpf_dynptr_slice and bpf_dynptr_write for the IPv4
  // header: 485; the old object, 6.18.44: 460). A kfunc call reads only its prototype's arguments
  // (get_call_summary); main took r1-r5 as read, so the IPv4 path's slice in r3 stayed live at insn 131
  // and the IPv6 path was not pruned there: 513.
  'xdp_dynptr_parse:xdp_dynptr_parse': 485,
  // A range and a tnum that meet in one value make it a constant (6.18.y's __update_reg64_bounds);
  // main refused it (bpftool -d prog load, 6.18.44).
  'verifier/accept/tnum_single_value:tnum_single_value': 9,
  // bpf_loop callbacks: a caller frame is compared on the registers live before its call (the loop
  // count r1 and flags r4, precise), and backtracking out of a callback's exit keeps asking for them;
  // main pruned every later visit of the callback: 1,427 and 411.
  'xdp_loops:loop_csum': 3138,
  'xdp_nat:xdp_nat': 416,
  // An old scalar with no id accepts any links in the current one (6.18.y's check_scalar_ids); main
  // gave it a temporary id that could not map to a linked register's: 32. The same rule makes
  // xdp-trafficgen's xdp_redirect_send_tcp 313, the kernel's (356 before).
  'verifier/accept/scalar_id_unlinked_old:scalar_id_unlinked_old': 25,
  // Four rules of the kernel's (bpftool -d prog loadall, 6.18.44); main: 6,966. A narrower spill keeps
  // the whole register (save_register_state); explored states are bucketed by instruction and
  // callsite, and a state of another callsite takes no part in the in-flight and miss heuristics; a
  // caller's stack slot is compared only while some function of the call chain may still read it
  // (bpf_stack_slot_alive): the callee through a pointer from its instruction on, the caller after the
  // call returns.
  'xdp_calls:xdp_calls': 5380,
  // A write at a fixed offset into a slot holding a narrower spill scrubs all of it: the zero bytes
  // beside the spill become MISC as well (check_stack_write_fixed_off: is_stack_slot_special,
  // scrub_spilled_slot; verifier log level 2, 6.18.44, logs fp-16=??mm?m?m); main kept them zero and
  // read a known 0 back: 10. The same rule makes xdp-synproxy's syncookie_xdp 20,925, the kernel's
  // (23,187 before: a zero byte of its bpf_loop context kept a callback's return from pruning).
  'verifier/accept/narrow_spill_write_scrubs_zero:narrow_spill_write_scrubs_zero': 12,
  // may_goto loops (libbpf, verifier log level 4, 6.18.44-fc-v1252): the loop explored one iteration
  // at a time until a may_goto is within an in-flight state of another depth. mg_calls' loop in a
  // subprogram converges through a RANGE_WITHIN hit kept as an SCC backedge: its checkpoints compare
  // by range too until every path of the loop has ended (incomplete_read_marks); without the SCC
  // visits wxdp pruned more: 188.
  'xdp_may_goto:mg_sum': 153,
  'xdp_may_goto:mg_tlv': 6675,
  'xdp_may_goto:mg_calls': 260,
  // Global functions with arg: tags and a dynptr argument (libbpf, verifier log level 4,
  // 6.18.44-fc-v1252): the program's walk, then each called global function's, from the registers its
  // prototype gives (do_check_common).
  'verifier/accept/global_func_arg_ctx_tag:global_func_arg_ctx_tag': 11,
  'verifier/accept/global_func_arg_nonnull:global_func_arg_nonnull': 15,
  'verifier/accept/global_func_arg_maybe_null:global_func_arg_maybe_null': 21,
  'verifier/accept/global_func_arg_dynptr:global_func_arg_dynptr': 57,
  'verifier/accept/global_func_arg_dynptr_data:global_func_arg_dynptr_data': 33,
  'verifier/accept/static_func_arg_tag:static_func_arg_tag': 15,
  'verifier/accept/global_func_arg_arena_scalar:global_func_arg_arena_scalar': 13,
  // arg:untrusted `void *` / `__u32 *`: rdonly_untrusted_mem(sz=0), read at any offset (probe loads)
  'verifier/accept/global_func_arg_untrusted_void:global_func_arg_untrusted_void': 15,
  'verifier/accept/global_func_arg_untrusted_scalar:global_func_arg_untrusted_scalar': 12,
  'verifier/accept/global_func_arg_untrusted_pass_on:global_func_arg_untrusted_pass_on': 18,
  'verifier/accept/global_func_arg_untrusted_pkt:global_func_arg_untrusted_pkt': 5,
  // Open-coded iterators (bpftool -d prog load, 6.18.44-fc-v1272): bpf_iter_num_next a forced checkpoint,
  // the drained exit walked first, the loop converging at the next call (RANGE_WITHIN, an SCC backedge);
  // main had no bpf_iter_num_* (the objects were refused as unsupported).
  'verifier/accept/iter_num_packet_sum:iter_num_packet_sum': 110,
  'verifier/accept/iter_num_nested:iter_num_nested': 161,
  'verifier/accept/iter_num_in_subprog:iter_num_in_subprog': 147,
  // The bit iterator (two stack slots) and the RCU / preemption sections (6.18.44-fc-v1272, bpftool -d);
  // main refused them as unsupported kfuncs.
  'verifier/accept/iter_bits_packet_word:iter_bits_packet_word': 112,
  'verifier/accept/iter_bits_words_snapshot:iter_bits_words_snapshot': 267,
  'verifier/accept/iter_bits_bad_source:iter_bits_bad_source': 97,
  'verifier/accept/rcu_preempt_sections:rcu_preempt_sections': 37,
  'verifier/accept/iter_num_under_spin_lock:iter_num_under_spin_lock': 137,
  'verifier/accept/str_kfuncs_packet:str_kfuncs_packet': 84,
  'verifier/accept/irq_save_nested:irq_save_nested': 15,
  // bpf_map_sum_elem_count and the casts to the kernel's struct xdp_buff (6.18.44-fc-v1272, bpftool -d);
  // main refused them as unsupported kfuncs.
  'verifier/accept/map_sum_elem_count:map_sum_elem_count': 267,
  'verifier/accept/cast_kern_ctx_fields:cast_kern_ctx_fields': 28,
  'verifier/accept/rdonly_cast_ctx:rdonly_cast_ctx': 31,
  // bpf_throw: the throwing path ends at the call, in the subprogram too
  'verifier/accept/throw_default:throw_default': 22,
  'verifier/accept/throw_subprog:throw_subprog': 24,
  // bpf_obj_new / bpf_obj_drop and the bpf_list kfuncs (6.18.44-fc-v1272, bpftool -d prog load): objects,
  // pushes and pops under a map value's lock, a bpf_loop callback that allocates until NULL
  'xdp_obj_new:xdp_obj_new': 88,
  'xdp_obj_list:xdp_obj_list': 784,
  'xdp_obj_list_keep:xdp_obj_list_keep': 66,
  'xdp_obj_list_forge:xdp_obj_list_forge': 79,
  'xdp_obj_exhaust:xdp_obj_exhaust': 164,
  'xdp_obj_list_recycle:xdp_obj_list_recycle': 360,
};

const objects = [...new Set(Object.keys(KERNEL).map((k) => k.split(':')[0]!))];

describe('processed instructions, as the kernel counts them', () => {
  it.each(objects)('%s: every program listed processes as many instructions as in Linux 6.18', async (obj) => {
    const dp = await Datapath.create();
    try {
      const o = await dp.loadObject(`${root}programs/${obj}.o`);
      for (const [key, n] of Object.entries(KERNEL)) {
        const [file, prog] = key.split(':') as [string, string];
        if (file !== obj) continue;
        expect({ prog, processed: o.programs.get(prog)?.verifierStats?.insnsProcessed }).toEqual({ prog, processed: n });
      }
    } finally {
      await dp.close();
    }
  }, 120_000);
});

