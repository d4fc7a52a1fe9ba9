// The verifier on sk_lookup and sk_reuseport programs: each context's fields (the kernel's
// sk_lookup_is_valid_access / sk_reuseport_is_valid_access, narrow loads included), socket pointers
// (bpf_sock_is_valid_access, null checks, no writes, no arithmetic), the helpers each type may call and
// their argument types, SK_DROP/SK_PASS as the only sk_lookup results, and references: a socket from a
// sockmap lookup must be released. Every expected verdict and message below is the Linux 6.18
// verifier's for the same instructions (recorded from `bpftool prog load`); where the kernel can be
// used, each case is loaded there again and must give the same verdict and message.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { VerifierError } from '../../src/errors.js';
import * as oracle from '../../src/oracle/index.js';
import { verify } from '../../src/verifier/index.js';

type ProgType = 'xdp' | 'sk_lookup' | 'sk_reuseport';
interface Case {
  type: ProgType;
  name: string;
  text: string;
  /** undefined: accepted; else the refusal's message and instruction. */
  reject?: { message: string; insn: number };
}

const SK = `r2 = *(u64 *)(r1 + 0)`;
const CASES: Case[] = [
  // ---- sk_lookup's context ----
  { type: 'sk_lookup', name: 'a store into the context', text: `*(u32 *)(r1 + 8) = r1\nr0 = 1\nexit`, reject: { message: 'invalid bpf_context access off=8 size=4', insn: 0 } },
  { type: 'sk_lookup', name: 'an immediate store into the context', text: `*(u32 *)(r1 + 8) = 1\nr0 = 1\nexit`, reject: { message: 'invalid bpf_context access off=8 size=4', insn: 0 } },
  { type: 'xdp', name: 'an immediate store into an XDP context', text: `*(u32 *)(r1 + 8) = 1\nr0 = 1\nexit`, reject: { message: 'invalid bpf_context access off=8 size=4', insn: 0 } },
  {
    type: 'sk_lookup',
    name: 'narrow loads of family, local_port, remote_port and its padding, a 4-byte remote_port',
    text: `r0 = *(u8 *)(r1 + 9)\nr0 = *(u16 *)(r1 + 62)\nr0 = *(u32 *)(r1 + 36)\nr0 = *(u8 *)(r1 + 37)\nr0 = *(u16 *)(r1 + 38)\nr0 = *(u32 *)(r1 + 64)\nr0 = 1\nexit`,
  },
  { type: 'sk_lookup', name: 'a 4-byte load of the padding', text: `r0 = *(u32 *)(r1 + 38)\nr0 = 1\nexit`, reject: { message: 'invalid bpf_context access off=38 size=4', insn: 0 } },
  { type: 'sk_lookup', name: 'a load past the struct', text: `r0 = *(u32 *)(r1 + 68)\nr0 = 1\nexit`, reject: { message: 'invalid bpf_context access off=68 size=4', insn: 0 } },
  { type: 'sk_lookup', name: 'an 8-byte load of family', text: `r0 = *(u64 *)(r1 + 8)\nr0 = 1\nexit`, reject: { message: 'invalid bpf_context access off=8 size=8', insn: 0 } },
  { type: 'sk_lookup', name: 'a 4-byte load of ctx->sk', text: `r2 = *(u32 *)(r1 + 0)\nr0 = 1\nexit`, reject: { message: 'invalid bpf_context access off=0 size=4', insn: 0 } },
  // ---- return values ----
  { type: 'sk_lookup', name: 'returning 2', text: `r0 = 2\nexit`, reject: { message: 'At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]', insn: 1 } },
  {
    type: 'sk_lookup',
    name: 'returning a field',
    text: `r0 = *(u32 *)(r1 + 8)\nexit`,
    reject: { message: 'At program exit the register R0 has smin=0 smax=4294967295 should have been in [0, 1]', insn: 1 },
  },
  { type: 'sk_reuseport', name: 'sk_reuseport returning 5 (no range check)', text: `r0 = 5\nexit` },
  // ---- ctx->sk: a socket or NULL ----
  { type: 'sk_lookup', name: 'ctx->sk read before a null check', text: `${SK}\nr0 = *(u32 *)(r2 + 4)\nr0 = 1\nexit`, reject: { message: "R2 invalid mem access 'sock_or_null'", insn: 1 } },
  { type: 'sk_lookup', name: 'ctx->sk fields after a null check (narrow dst_port)', text: `${SK}\nif r2 == 0 goto l\nr0 = *(u32 *)(r2 + 4)\nr0 = *(u16 *)(r2 + 48)\nr0 = *(u8 *)(r2 + 49)\nl:\nr0 = 1\nexit` },
  { type: 'sk_lookup', name: 'a store into a socket', text: `${SK}\nif r2 == 0 goto l\n*(u32 *)(r2 + 4) = r1\nl:\nr0 = 1\nexit`, reject: { message: 'R2 cannot write into sock', insn: 2 } },
  { type: 'sk_lookup', name: "a load of dst_port's padding", text: `${SK}\nif r2 == 0 goto l\nr0 = *(u16 *)(r2 + 50)\nl:\nr0 = 1\nexit`, reject: { message: 'R2 invalid sock access off=50 size=2', insn: 2 } },
  { type: 'sk_lookup', name: 'arithmetic on a socket', text: `${SK}\nif r2 == 0 goto l\nr2 += 4\nl:\nr0 = 1\nexit`, reject: { message: 'R2 pointer arithmetic on sock prohibited', insn: 2 } },
  {
    type: 'sk_lookup',
    name: 'an atomic add into a socket',
    text: `${SK}\nif r2 == 0 goto l\nr3 = 1\nlock *(u32 *)(r2 + 4) += r3\nl:\nr0 = 1\nexit`,
    reject: { message: 'BPF_ATOMIC stores into R2 sock is not allowed', insn: 3 },
  },
  // ---- helpers ----
  { type: 'sk_lookup', name: 'releasing ctx->sk (not a reference)', text: `r1 = *(u64 *)(r1 + 0)\nif r1 == 0 goto l\ncall 86\nl:\nr0 = 1\nexit`, reject: { message: 'R1 must be referenced when passed to release function', insn: 2 } },
  {
    type: 'sk_lookup',
    name: 'releasing a socket that may be NULL',
    text: `r1 = *(u64 *)(r1 + 0)\ncall 86\nr0 = 1\nexit`,
    reject: { message: 'R1 type=sock_or_null expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_', insn: 1 },
  },
  {
    type: 'sk_lookup',
    name: 'releasing a number',
    text: `r1 = 0\ncall 86\nr0 = 1\nexit`,
    reject: { message: 'R1 type=scalar expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_', insn: 1 },
  },
  { type: 'sk_lookup', name: 'assigning NULL', text: `r2 = 0\nr3 = 0\ncall 124\nr0 = 1\nexit` },
  { type: 'sk_lookup', name: 'assigning ctx->sk (socket or NULL)', text: `${SK}\nr3 = 0\ncall 124\nr0 = 1\nexit` },
  { type: 'sk_lookup', name: 'assigning a number', text: `r2 = 5\nr3 = 0\ncall 124\nr0 = 1\nexit`, reject: { message: 'R2 type=scalar expected=sock', insn: 2 } },
  { type: 'sk_lookup', name: 'an XDP helper', text: `r1 = 0\nr2 = 0\ncall 23\nr0 = 1\nexit`, reject: { message: 'program of this type cannot use helper bpf_redirect#23', insn: 2 } },
  { type: 'sk_reuseport', name: 'bpf_sk_release in sk_reuseport', text: `r1 = *(u64 *)(r1 + 40)\ncall 86\nr0 = 1\nexit`, reject: { message: 'program of this type cannot use helper bpf_sk_release#86', insn: 1 } },
  { type: 'xdp', name: 'bpf_sk_assign in XDP', text: `r2 = 0\nr3 = 0\ncall 124\nr0 = 1\nexit`, reject: { message: 'program of this type cannot use helper bpf_sk_assign#124', insn: 2 } },
  { type: 'sk_lookup', name: 'bpf_get_socket_cookie in sk_lookup', text: `r1 = *(u64 *)(r1 + 0)\nif r1 == 0 goto l\ncall 46\nl:\nr0 = 1\nexit`, reject: { message: 'program of this type cannot use helper bpf_get_socket_cookie#46', insn: 2 } },
  { type: 'sk_reuseport', name: "bpf_get_socket_cookie of migrating_sk (it takes NULL)", text: `r1 = *(u64 *)(r1 + 48)\ncall 46\nr0 = 1\nexit` },
  { type: 'sk_reuseport', name: 'bpf_skb_load_bytes to the stack', text: `r2 = 0\nr3 = r10\nr3 += -8\nr4 = 8\ncall 26\nr0 = 1\nexit` },
  {
    type: 'sk_reuseport',
    name: 'bpf_skb_load_bytes into the packet',
    text: `r6 = r1\nr3 = *(u64 *)(r1 + 0)\nr4 = *(u64 *)(r1 + 8)\nr5 = r3\nr5 += 8\nif r5 > r4 goto l\nr1 = r6\nr2 = 0\nr4 = 8\ncall 26\nl:\nr0 = 1\nexit`,
    reject: { message: 'helper access to the packet is not allowed', insn: 9 },
  },
  { type: 'sk_reuseport', name: 'bpf_skb_load_bytes of 0 bytes', text: `r2 = 0\nr3 = r10\nr3 += -8\nr4 = 0\ncall 26\nr0 = 1\nexit`, reject: { message: 'R4 invalid zero-sized read: u64=[0,0]', insn: 4 } },
  { type: 'xdp', name: 'bpf_skb_load_bytes in XDP', text: `r2 = 0\nr3 = r10\nr3 += -8\nr4 = 8\ncall 26\nr0 = 1\nexit`, reject: { message: 'program of this type cannot use helper bpf_skb_load_bytes#26', insn: 4 } },
  // ---- sk_reuseport's context ----
  {
    type: 'sk_reuseport',
    name: 'the packet, the hash, ctx->sk and a 2-byte eth_protocol',
    text: `r2 = *(u64 *)(r1 + 0)\nr3 = *(u64 *)(r1 + 8)\nr4 = r2\nr4 += 8\nif r4 > r3 goto l\nr0 = *(u16 *)(r2 + 2)\nl:\nr0 = *(u32 *)(r1 + 32)\nr5 = *(u64 *)(r1 + 40)\nr0 = *(u32 *)(r5 + 4)\nr0 = *(u16 *)(r1 + 20)\nr0 = 1\nexit`,
  },
  { type: 'sk_reuseport', name: 'one byte of eth_protocol', text: `r0 = *(u8 *)(r1 + 20)\nr0 = 1\nexit`, reject: { message: 'invalid bpf_context access off=20 size=1', insn: 0 } },
  { type: 'sk_reuseport', name: 'a narrow load of the hash', text: `r0 = *(u16 *)(r1 + 32)\nr0 = 1\nexit`, reject: { message: 'invalid bpf_context access off=32 size=2', insn: 0 } },
  { type: 'sk_reuseport', name: 'a store into the context', text: `r2 = 1\n*(u32 *)(r1 + 32) = r2\nr0 = 1\nexit`, reject: { message: 'invalid bpf_context access off=32 size=4', insn: 1 } },
  { type: 'sk_reuseport', name: 'migrating_sk before a null check', text: `r2 = *(u64 *)(r1 + 48)\nr0 = *(u32 *)(r2 + 4)\nr0 = 1\nexit`, reject: { message: "R2 invalid mem access 'sock_common_or_null'", insn: 1 } },
  {
    type: 'sk_reuseport',
    name: "migrating_sk's type (not in sock_common)",
    text: `r2 = *(u64 *)(r1 + 48)\nif r2 == 0 goto l\nr0 = *(u32 *)(r2 + 8)\nl:\nr0 = 1\nexit`,
    reject: { message: 'R2 invalid sock_common access off=8 size=4', insn: 2 },
  },
];

function ours(c: Case): { accepted: true } | { accepted: false; message: string; insn: number } {
  try {
    verify(assemble(c.text), { progType: c.type });
    return { accepted: true };
  } catch (e) {
    if (!(e instanceof VerifierError)) throw e;
    return { accepted: false, message: e.reason, insn: e.index };
  }
}

/** The kernel's last message line of a refusal (before the `processed` summary). */
function kernelMessage(log: string, expect: string): string | undefined {
  return log.split('\n').find((l) => l === expect) ?? log.split('\n').filter((l) => l && !/^\d+: |^;|^processed |^from |^func#|^-- /.test(l)).pop();
}

describe('the verifier on socket programs (expected: Linux 6.18)', () => {
  it.each(CASES.map((c) => [`${c.type}: ${c.name}`, c] as const))('%s', (_n, c) => {
    const got = ours(c);
    if (!c.reject) expect(got).toEqual({ accepted: true });
    else expect(got).toEqual({ accepted: false, message: c.reject.message, insn: c.reject.insn });
  });
});

const avail = oracle.kernelAvailability();
describe.skipIf(!avail.ok)(`the same cases in the running kernel${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  it.each(CASES.map((c) => [`${c.type}: ${c.name}`, c] as const))('%s', (_n, c) => {
    let log: string | undefined;
    try {
      oracle.loadKernelInsns(assemble(c.text), { section: c.type, type: c.type, license: 'GPL' }).close();
    } catch (e) {
      if (!(e instanceof oracle.KernelRejected)) throw e;
      log = e.log;
    }
    if (!c.reject) expect(log).toBeUndefined();
    else expect(kernelMessage(log ?? '', c.reject.message)).toBe(c.reject.message);
  });
});

/** The C objects the verifier refuses, with 6.18.44-fc-v1252's message and instruction. */
const REFUSED: Array<{ object: string; type: ProgType; message: string; insn: number; detail?: string }> = [
  { object: 'sk_lookup_leak.o', type: 'sk_lookup', message: 'Unreleased reference id=2 alloc_insn=7', insn: 19, detail: 'BPF_EXIT instruction in main prog would lead to reference leak' },
  // 6.18.44-fc-v1252 types a sockmap lookup as sock_or_null at the call (earlier builds: map_value_or_null)
  { object: 'sk_lookup_nullderef.o', type: 'sk_lookup', message: "R0 invalid mem access 'sock_or_null'", insn: 7 },
  { object: 'sk_lookup_double_release.o', type: 'sk_lookup', message: 'R1 type=scalar expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_', insn: 12 },
  { object: 'sk_lookup_reuseport_array.o', type: 'sk_lookup', message: 'cannot pass map_type 20 into func bpf_map_lookup_elem#1', insn: 6 },
  { object: 'sk_reuseport_array_map.o', type: 'sk_reuseport', message: 'cannot pass map_type 2 into func bpf_sk_select_reuseport#82', insn: 7 },
  { object: 'sk_lookup_update_number.o', type: 'sk_lookup', message: 'R3 type=fp expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_', insn: 11 },
];

describe('socket programs from C (programs/sk_*.c)', () => {
  it('loads every program of sk_lookup.o and sk_reuseport.o', async () => {
    const dp = await Datapath.create();
    const a = await dp.loadObject('programs/sk_lookup.o');
    expect([...a.programs.keys()].sort()).toEqual(['assign_configured', 'copy_a_to_b', 'lookup_drop', 'lookup_pass', 'record_ctx', 'record_sk', 'redir_ip4', 'redir_port', 'replace_with_b', 'select_b_no_reuseport', 'unassign']);
    const b = await dp.loadObject('programs/sk_reuseport.o');
    expect([...b.programs.keys()].sort()).toEqual(['select_by_load_bytes', 'select_by_payload']);
  });

  it('accepts sk_lookup_assign_unchecked.o: bpf_sk_assign takes the sock_or_null a sockmap lookup gives', async () => {
    // 6.18.44-fc-v1252's log: 7: call bpf_map_lookup_elem#1 ; R0=sock_or_null(id=2,ref_obj_id=2) refs=2,
    // then 12: call bpf_sk_assign#124 (ARG_PTR_TO_SOCKET_OR_NULL); earlier builds refused the same
    // object with R2 type=map_value_or_null expected=sock
    const dp = await Datapath.create();
    const o = await dp.loadObject('programs/sk_lookup_assign_unchecked.o', { logLevel: 2 });
    expect(o.programs.get('assign_unchecked')!.verifierLog).toMatch(/R0=sock_or_null\(id=2,ref_obj_id=2\)/);
  });

  it.each(REFUSED.map((r) => [r.object, r] as const))('refuses %s: as the kernel', async (_o, r) => {
    const dp = await Datapath.create();
    const err = await dp.loadObject(`programs/${r.object}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerifierError);
    expect([(err as VerifierError).reason, (err as VerifierError).index]).toEqual([r.message, r.insn]);
    if (r.detail) expect((err as VerifierError).log).toContain(r.detail);
  });

  it.skipIf(!avail.ok)('the kernel accepts sk_lookup.o, sk_reuseport.o and sk_lookup_assign_unchecked.o and refuses the others with the same message at the same instruction', () => {
    oracle.loadKernelObject(readFileSync('programs/sk_lookup.o'), { type: 'sk_lookup' }).close();
    oracle.loadKernelObject(readFileSync('programs/sk_reuseport.o'), { type: 'sk_reuseport' }).close();
    oracle.loadKernelObject(readFileSync('programs/sk_lookup_assign_unchecked.o'), { type: 'sk_lookup' }).close();
    const msg = (f: string, type: string): string => {
      try {
        oracle.loadKernelObject(readFileSync(`programs/${f}`), { type }).close();
        return 'accepted';
      } catch (e) {
        return (e as oracle.KernelRejected).log;
      }
    };
    for (const r of REFUSED) {
      const log = msg(r.object, r.type);
      expect(log).toContain(`${r.message}\n${r.detail ? `${r.detail}\n` : ''}processed`);
      // The refused instruction is the last one the log lists before the message (the exit for a leak).
      const lines = log.split('\n');
      const at = lines.indexOf(r.message);
      const last = lines.slice(0, at).reverse().find((l) => /^\d+: \(/.test(l));
      expect(Number(last?.split(':')[0])).toBe(r.insn);
    }
  });
});
