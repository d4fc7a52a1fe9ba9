#!/usr/bin/env node
// Records the running kernel's verdict on every program of the verifier corpus
// (programs/verifier/reject/*.o and accept/*.o) into programs/verifier/expected.json, and writes the
// table of programs/verifier/README.md from it: the reference the wxdp verifier must agree with.
//
//   npm run build:ts && bash programs/verifier/build.sh && node scripts/record-verifier-corpus.mjs
//   (root, bpftool, bpffs: the same as scripts/record-kernel.mjs)
//
// Each object is loaded with `bpftool prog loadall … type xdp` (src/oracle). On a refusal libbpf
// loads the program again with log_level 1 and prints that log: level 1 lists the instructions of
// the failing path only (the log is rewound after each path that verifies), each as
// `N: (op) insn`, then the error, then `processed N insns …`. From it analyzeRejection() takes:
//   message  the first line after the last instruction line (or the first line of the log when the
//            error comes before or after the walk: CFG checks, stack depth);
//   insn     the instruction the kernel names:
//              'message'  a number in the message itself, where it names the offending instruction
//                         ("unreachable insn 9", "jump out of range from insn 3 to 99",
//                         "infinite loop detected at insn 1", "jump into the middle of ldimm64
//                         insn 2": that one names the ld_imm64 a jump lands inside);
//              'log'      else the last `N: (op)` line before the message: the instruction being
//                         checked when the verifier gave up;
//              'object'   else, for messages that name an instruction by what it is ("last insn is
//                         not an exit or jmp", "unknown opcode ff"), the only instruction of the
//                         object that fits;
//              null       the message names none (checks of the whole call graph: "combined stack
//                         size of 2 calls is 640", "tail_calls are not allowed when call stack…").
// Instruction numbers are the kernel's, which for programs with subprograms is libbpf's layout: the
// entry function, then the subprograms it calls appended (recorded in `functions`).
//
// The directory a program sits in (reject/ or accept/) is what its author expected; the kernel is
// the judge. A program whose verdict contradicts its directory is recorded as the kernel decided and
// reported, and the script exits 1: move it (and rewrite its comment), or change it to show its class.
//
// The test tests/verifier/corpus_kernel.test.ts imports the helpers below; run as a script, main()
// records. Output is stable: no timestamps, entries sorted by file; kernel addresses (map pointers
// in ld_imm64 lines) are masked in the stored log tails.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CORPUS_DIR = join(ROOT, 'programs', 'verifier');
export const EXPECTED_PATH = join(CORPUS_DIR, 'expected.json');
const README_PATH = join(CORPUS_DIR, 'README.md');
const LOG_TAIL = 15;

/**
 * Every corpus source: { file: 'reject/x.c', object: 'reject/x.o', dir: 'reject' | 'accept', name,
 * kind: 'Reject' | 'Accept' (from the comment), class (the rest of the comment's first line) }.
 */
export function corpusSources(dir = CORPUS_DIR) {
  const out = [];
  for (const sub of ['reject', 'accept']) {
    for (const f of readdirSync(join(dir, sub)).filter((n) => n.endsWith('.c')).sort()) {
      const first = readFileSync(join(dir, sub, f), 'utf8').split('\n', 1)[0];
      const m = /^\/\/ (Reject|Accept): (.+?)\.?$/.exec(first);
      out.push({
        file: `${sub}/${f}`,
        object: `${sub}/${f.slice(0, -2)}.o`,
        dir: sub,
        name: f.slice(0, -2),
        kind: m ? m[1] : null,
        class: m ? m[2] : null,
      });
    }
  }
  return out;
}

export function sha256(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** An instruction of the log; the kernel's disassembler prints an invalid atomic as `N: BUG_db`. */
const INSN_LINE = /^(\d+): (\([0-9a-f]{2}\) |BUG_)/;
const PROCESSED = /^processed \d+ insns/;
/**
 * Lines between an instruction and the error that are not the error: source lines, state dumps. The state
 * dumps of a call and of a return at log level 1 (check_func_call: `caller:`, the caller's frame, `callee:`,
 * the callee's; prepare_func_exit: `returning from callee:`, the callee's, `to caller at N:`, the caller's)
 * print frame 0 with no `frameN:` label, a space and its registers or slots (` R8=8 R10=fp0 fp-8=0`).
 */
const NOT_MESSAGE = /^(;|\d+: (R\d|frame\d)|from \d+ to \d+: | frame\d+: | (R\d|fp-?\d)|caller:$|callee:$|returning from callee:$|to caller at \d+:$|mark_precise|last_idx|parent )/;

/** Messages whose number is the offending instruction. */
const NAMED_INSN = [
  /^back-edge from insn (\d+) to \d+/,
  /^jump out of range from insn (\d+) to -?\d+/,
  /^unreachable insn (\d+)/,
  /^infinite loop detected at insn (\d+)/,
  /^jump into the middle of ldimm64 insn (\d+)/,
];

/**
 * The kernel's verdict in a verifier log. `program` is the loaded program as src/elf parses it
 * ({ insns: {code}[] }), for the messages that name an instruction by what it is.
 * Returns { message, insn, insnSource, detail } (detail: the error's further lines, if any).
 */
export function analyzeRejection(log, program) {
  const lines = logLines(log);
  let end = lines.findIndex((l) => PROCESSED.test(l));
  if (end < 0) end = lines.length;
  let lastInsn = -1;
  for (let i = 0; i < end; i++) if (INSN_LINE.test(lines[i])) lastInsn = i;
  const errorLines = lines.slice(lastInsn + 1, end).filter((l) => !NOT_MESSAGE.test(l) && !l.startsWith('libbpf: '));
  const message = errorLines[0] ?? lines[end - 1] ?? '(no log)';
  const detail = errorLines.slice(1);

  for (const re of NAMED_INSN) {
    const m = re.exec(message);
    if (m) return { message, detail, insn: Number(m[1]), insnSource: 'message' };
  }
  if (lastInsn >= 0) return { message, detail, insn: Number(INSN_LINE.exec(lines[lastInsn])[1]), insnSource: 'log' };
  const derived = insnByDescription(message, program);
  if (derived !== null) return { message, detail, insn: derived, insnSource: 'object' };
  return { message, detail, insn: null, insnSource: null };
}

/** The one instruction a message describes without numbering it, or null. */
function insnByDescription(message, program) {
  const insns = program?.insns ?? [];
  if (/^last insn is not an exit or jmp/.test(message) && insns.length > 0) return insns.length - 1;
  const op = /^unknown opcode ([0-9a-f]{2})$/.exec(message);
  if (op) {
    const hits = insns.flatMap((insn, i) => (insn.code === parseInt(op[1], 16) ? [i] : []));
    if (hits.length === 1) return hits[0];
  }
  return null;
}

/**
 * A log's non-empty lines. A few kernel messages lack their newline ("expected prog array map for
 * tail call"), which glues the `processed N insns` summary to them: it is split off again. The
 * complexity limit's message comes glued to the instruction line before it, after a space
 * (`50: (15) if r0 == 0x0 goto pc+32 BPF program is too large. Processed 1000001 insn`, 6.18.44):
 * split off too, so the line stays the instruction being checked.
 */
function logLines(log) {
  return log
    .replace(/([^\n])(processed \d+ insns \(limit)/g, '$1\n$2')
    .replace(/([^\n]) (BPF program is too large\. Processed \d+ insn)/g, '$1\n$2')
    .split('\n')
    .filter((l) => l.trim() !== '');
}

/**
 * The last lines of a log, kernel addresses masked (they differ on every load); all ones, a tnum's
 * unknown mask (`var_off=(0x0; 0xffffffffffffffff)`), is no address.
 */
export function logTail(log) {
  return logLines(log)
    .slice(-LOG_TAIL)
    .map((l) => l.replace(/0xffff[0-9a-f]{12}/g, (m) => (m === '0xffffffffffffffff' ? m : '0xffff…')));
}

/** The program of an object as the kernel numbers it (src/elf's parseObject, given by the caller). */
export function programOf(parseObject, objectPath) {
  const spec = parseObject(readFileSync(objectPath), { path: objectPath });
  if (spec.programs.length !== 1) throw new Error(`${objectPath}: ${spec.programs.length} programs, the corpus wants one`);
  return spec.programs[0];
}

/** What the kernel said about one object: { accepted: true } or { accepted: false, log }. */
export function loadVerdict(oracle, objectPath) {
  try {
    oracle.loadKernelObject(objectPath).close();
    return { accepted: true };
  } catch (e) {
    if (!(e instanceof oracle.KernelRejected)) throw e;
    return { accepted: false, log: e.log };
  }
}

/** One expected.json entry. */
export function recordEntry(source, program, verdict, digest) {
  const entry = { file: source.file, object: source.object, class: source.class, sha256: digest, accepted: verdict.accepted };
  if (!verdict.accepted) {
    const a = analyzeRejection(verdict.log, program);
    Object.assign(entry, { insn: a.insn, insnSource: a.insnSource, message: a.message });
    if (a.detail.length > 0) entry.detail = a.detail;
    entry.log = logTail(verdict.log);
  } else {
    Object.assign(entry, { insn: null, insnSource: null, message: null });
  }
  const fns = program.functions ?? [];
  if (fns.length > 1) {
    entry.functions = fns.map((f) => ({ name: f.name, index: f.index, length: f.length }));
    const at = fns.find((f) => entry.insn !== null && entry.insn >= f.index && entry.insn < f.index + f.length);
    if (at) entry.insnFunction = at.name;
  }
  return entry;
}

const README_HEAD = `# programs/verifier/: the verifier corpus, judged by the kernel

Small XDP programs, each showing one class of unsafe program (\`reject/\`) or one tricky but safe
pattern (\`accept/\`). Each source starts with a comment: its class on the first line, then why the
kernel refuses or accepts it. The verdicts are not opinions: \`expected.json\` records what the
running kernel's verifier did with each committed object, and wxdp's verifier must agree on every
one, refusing at the same instruction with the same message.

- \`verifier.h\`: the naked-function/inline-assembly conventions (what clang 14 allows), the map macros.
- \`build.sh\`: rebuilds every \`.o\` beside its \`.c\` (deterministic; the objects are committed).
- \`errno.json\`: the errno bpf(BPF_PROG_LOAD) returned for each refused object (bpftool prog load, 6.18.44-fc-v1252); tests/verifier/corpus checks wxdp's VerifierError/ProgramError errno against it.
- \`expected.json\`: per program, the object's sha256, \`accepted\`, and for a refusal \`insn\` (the
  instruction the kernel names), \`insnSource\` (how it names it), \`message\` (the error line),
  \`detail\` (the lines after it), the last lines of the log, and for programs with subprograms
  \`functions\` (libbpf appends them after the entry function: that is the kernel's numbering) and
  \`insnFunction\`, the function the refused instruction is in.
  The rules are in scripts/record-verifier-corpus.mjs.
- Re-record (root): \`npm run build:ts && bash programs/verifier/build.sh && node scripts/record-verifier-corpus.mjs\`.
  tests/verifier/corpus_kernel.test.ts checks the recording against the objects, and against the
  live kernel when it can.

## What the kernel does that one might not expect (6.18, as root)

- Privileged programs may read uninitialised stack, directly or through a helper's key argument,
  and may leak pointers (return one, store one in a map, negate one, compare one with a number):
  those classical refusals are in \`accept/\`, each saying so.
- A plain XDP program's return value is not range-checked (returning 1000 is accepted).
- \`bpf_get_current_pid_tgid()\` is offered to XDP (it is in the base helper set).
- An ARRAY lookup with a constant in-range key returns a non-null map value, but only when the key
  is visible as a constant: zero bytes, or a spill of exactly key_size bytes at the start of an
  8-byte stack slot.
- Root has bounded loops: there is no "back-edge" refusal; a loop that never changes state is an
  "infinite loop detected at insn N", one that takes too long runs into the 1M-instruction budget.
- A recursive subprogram passes the walk (its depth is bounded) and is refused by the static
  call-graph depth check: "the call stack of 8 frames is too deep !" (with "!", naming no
  instruction), while a chain of 9 real frames fails during the walk, at the call ("the call stack
  of 9 frames is too deep", no "!").
- Passing ctx->data to bpf_xdp_adjust_head() fails before the type check: "helper access to the
  packet is not allowed".
- "expected prog array map for tail call" is printed without a newline (the summary line that
  follows is glued to it; the recorder splits it off).
- An invalid bpf-to-bpf call target never reaches the kernel: libbpf refuses the object ("no .text
  section found yet sub-program call exists"), so it is not in the corpus.
- A global function's \`struct bpf_dynptr *\` argument is an skb dynptr inside the function (the log
  prints \`dynptr_ptr(id=2,type=skb)\`; 6.18.35's do_check_common says LOCAL): its slices die when the
  packet moves and when bpf_dynptr_write writes through it.
- An \`arg:\` tag on a static function is refused by btf_prepare_func_args ("arg#0 type tag is not
  supported in static functions") but the call goes on: check_func_call only marks the static
  function's BTF unreliable and walks it with the caller's registers.
- A global function's argument register the caller never set (clang leaves one the function does not
  use) is not refused as unread: btf_check_func_arg_match does not check the registers as read.
- A global function's untagged \`void *\` argument is refused at the call ("arg#0 reference
  type('UNKNOWN ') size cannot be determined: -22"): such an argument is memory of its pointee's size.
- An open-coded iterator's value (\`*bpf_iter_num_next(&it)\`) has no range: the verifier does not
  carry [start, end) into it, so an index made of it needs its own bound.
- A kptr needs its type tag in the BTF: clang 14 drops it from \`struct obj __kptr *p\` (a member
  pointing straight at a named struct), and the map then has no kptr ("R1 has no valid kptr"); through a
  typedef (\`kptr.h\`'s KPTR_TYPE) the tag stays. A kptr's struct must not share its name with a struct of
  vmlinux (\`struct kref\`): the kernel takes it for its own type, finds no destructor, refuses the map's
  BTF, and libbpf makes the map without it ("map 'slots' has to have BTF in order to use bpf_kptr_xchg").
- bpf_kptr_xchg's source may be NULL, but not an object that may be NULL, nor a pointer loaded from a
  kptr (MEM_RCU): check_reg_type's switch has no case for those ("verifier bug: invalid PTR_TO_BTF_ID
  register for type match", EFAULT). An XDP program is always in an RCU section: a loaded \`__kptr\` is
  usable in place (MEM_ALLOC | MEM_RCU), and a per-CPU object stashed by bpf_kptr_xchg stays usable through
  the pointer passed in (MEM_PERCPU | MEM_RCU) for bpf_this_cpu_ptr / bpf_per_cpu_ptr.
`;

/** programs/verifier/README.md: the fixed introduction and the table of every program. */
export function renderReadme(recording) {
  const esc = (s) => String(s).replace(/\|/g, '\\|');
  const rows = recording.programs.map((p) => {
    const where = p.insn === null ? '' : ` (insn ${p.insn})`;
    const outcome = p.accepted ? 'accepted' : `rejected${where}`;
    return `| \`${p.file}\` | ${esc(p.class)} | ${outcome} | ${p.message === null ? '' : `\`${esc(p.message)}\``} |`;
  });
  const counts = (acc) => recording.programs.filter((p) => p.accepted === acc).length;
  return (
    README_HEAD +
    `\n## Programs (${counts(false)} rejected, ${counts(true)} accepted by ${recording.kernel})\n\n` +
    '| file | class | kernel | kernel message |\n|---|---|---|---|\n' +
    rows.join('\n') +
    '\n'
  );
}

async function main() {
  let oracle;
  let elf;
  try {
    oracle = await import('../dist/src/oracle/index.js');
    elf = await import('../dist/src/elf/index.js');
  } catch (e) {
    console.error(`record-verifier-corpus: cannot import dist/ (run \`npm run build:ts\` first): ${e.message}`);
    process.exit(2);
  }
  const avail = oracle.kernelAvailability();
  if (!avail.ok) {
    console.error(`record-verifier-corpus: the kernel oracle is unavailable: ${avail.reason}`);
    process.exit(2);
  }
  const programs = [];
  const misplaced = [];
  for (const source of corpusSources()) {
    if (source.kind === null) throw new Error(`${source.file}: the first line must be "// Reject: <class>" or "// Accept: <class>"`);
    const objectPath = join(CORPUS_DIR, source.object);
    const verdict = loadVerdict(oracle, objectPath);
    const entry = recordEntry(source, programOf(elf.parseObject, objectPath), verdict, sha256(objectPath));
    programs.push(entry);
    if (entry.accepted !== (source.dir === 'accept')) misplaced.push(`${source.file}: kernel ${entry.accepted ? 'accepted' : `rejected: ${entry.message}`}`);
    console.log(`${entry.accepted ? 'accepted' : 'rejected'}  ${source.file}${entry.accepted ? '' : `  insn ${entry.insn} (${entry.insnSource}): ${entry.message}`}`);
  }
  const recording = {
    kernel: release(),
    bpftool: (spawnSync('bpftool', ['version'], { encoding: 'utf8' }).stdout ?? '').split('\n')[0].trim(),
    logLevel: 1,
    programs,
  };
  writeFileSync(EXPECTED_PATH, JSON.stringify(recording, null, 2) + '\n');
  writeFileSync(README_PATH, renderReadme(recording));
  console.log(`wrote ${EXPECTED_PATH} and ${README_PATH}: ${programs.length} programs`);
  if (misplaced.length > 0) {
    console.error(`record-verifier-corpus: the kernel disagrees with the directory of:\n  ${misplaced.join('\n  ')}`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
