// `wxdp help COMMAND [SUB]` and `wxdp COMMAND [SUB] --help|-h`: one text per command and subcommand,
// each with its usage line, its options and one example. The live commands (prog list|attach|detach,
// map show|… --socket, link, stats, up, ip) keep the usage texts their own files print; an example is
// added after them here.

import { BENCH_USAGE } from '../../bench/engine.js';
import { IP_CLI_USAGE } from './ip.js';
import { NFT_CLI_USAGE } from './nft.js';
import { LINK_USAGE, MAP_LIVE_USAGE, PROG_LIVE_USAGE, STATS_USAGE } from './live.js';
import { UP_USAGE } from './up.js';
import { DEVICE_MAX_MTU, DEVICE_MIN_MTU } from '../control/device.js';

// The options every command that loads an object takes (src/cli/object_options.ts).
const OBJECT_OPTIONS = `  --max-memory SIZE      the memory ceiling (bytes, or K/M/G; default 4G): maps past it fail with ENOMEM
  --max-entries MAP=N    MAP's max_entries before it is created (libbpf's bpf_map__set_max_entries)
  --global VAR=VALUE     a .rodata/.data/.bss variable before load, as a skeleton sets it
                         (VALUE: an integer, JSON, or a word: an enumerator name, a char array's text)
  --kconfig FILE         values of the object's CONFIG_* __kconfig externs (a kernel .config's lines)
`;

const BYTES = `  BYTES: as bpftool reads them: one byte a word, decimal, 0x hex or 0 octal ("192 0 2 1",
  "0xc0 0 2 1"); after the word "hex" every word is hex ("hex c0 00 02 01"); a single word of 4 or
  more hex digits is hex bytes ("c0000201").
`;

/** bpftool's verbs for the maps without keys: queue, stack, bloom_filter. */
function KEYLESS_HELP(verb: 'push' | 'enqueue' | 'pop' | 'dequeue' | 'peek'): string {
  const push = verb === 'push' || verb === 'enqueue';
  const args = push ? ' value BYTES [flags any|noexist|exist]' : verb === 'peek' ? ' [value BYTES]' : '';
  const what = push
    ? `  Push a value onto a queue or stack (${verb === 'push' ? 'enqueue' : 'push'} is the same), or into a bloom filter; flags exist
  on a full queue or stack drops its oldest value, else a full one fails: update failed: Argument list too long (E2BIG).
  Prints "pushed value: BYTES".`
    : verb === 'peek'
      ? `  The value the next pop would take, left in place; a bloom filter is asked about the value given: printed
  when maybe present, else Not found (ENOENT, exit 1). An empty queue or stack: Not found (ENOENT).`
      : `  Take the oldest value of a queue or the newest of a stack (${verb === 'pop' ? 'dequeue' : 'pop'} is the same) and print it; an
  empty map: empty map (ENOENT, exit 1); a bloom filter: pop failed: Unknown error 524 (ENOTSUPP).`;
  return `usage: wxdp map ${verb} OBJ.o name MAP${args} [--json]
       wxdp map ${verb} (name MAP | id N)${args} --socket PATH [--json]
${what}
  Maps with keys have lookup, update and delete instead (a usage error names them). --json: the entry,
  {"key": "", "value": HEX} (and "formatted" with BTF).
${BYTES}example: wxdp map ${push ? `${verb} name events value 1 0 0 0` : verb === 'peek' ? 'peek name seen value hex c0 00 02 01' : `${verb} name events`} --socket /run/wxdp.sock
`;
}

const TEXTS: Record<string, string> = {
  conformance: `usage: wxdp conformance DIR [--engine interp|jit|both] [--relaxed] [--json] [--verbose]
  Run the bpf_conformance .data vectors in DIR; ends with "N passed, N failed, N skipped".
  A DIR with no .data vector is an error (exit 2): nothing ran.
  --engine E   interp, jit or both (default both)      --relaxed  the checks the plugin protocol relaxes
  --verbose    a line per vector, not only failures     --json     one JSON document
example: wxdp conformance node_modules/bpf_conformance/tests --engine jit
`,
  asm: `usage: wxdp asm FILE [-o OUT] [--syntax ubpf|llvm|auto] [--json]
  Assemble eBPF text to instruction bytes: hex words on stdout, or the raw bytes to OUT.
  -o OUT        write the bytes to OUT (opened before assembling)
  --syntax S    ubpf, llvm or auto (default auto)
example: wxdp asm prog.s -o prog.bin
`,
  disasm: `usage: wxdp disasm FILE [--syntax llvm|ubpf] [--addresses] [--json]
  Disassemble raw instruction bytes, hex text, a .data vector or assembler text.
  --syntax S    llvm (default) or ubpf                 --addresses  prefix each line with its index
example: wxdp disasm prog.bin --syntax ubpf
`,
  exec: `usage: wxdp exec FILE [--mem HEX | --mem-file F] [--engine interp|jit] [--trace] [--relaxed] [--json]
  Run a program (raw bytes, hex, assembler text or .data vector) on input memory and print r0.
  --mem HEX     input memory as hex bytes               --mem-file F  input memory from F
  --engine E    interp (default) or jit                 --trace       each instruction and the registers it changed
  --relaxed     the conformance plugin's relaxed checks --json        one JSON document
example: wxdp exec prog.s --mem "00 34 12" --engine jit
`,
  prog: `usage: wxdp prog show|load|dump|run OBJ.o ...   (an object file, loaded for the command)
${PROG_LIVE_USAGE.replace(/^usage: /, '       ')}  wxdp help prog SUB (or wxdp prog SUB --help) for each one.
example: wxdp prog show programs/xdp_pass_drop.o
`,
  'prog show': `usage: wxdp prog show OBJ.o [--json]
  The programs, maps and license of an object file, parsed only (nothing is loaded or verified).
example: wxdp prog show programs/xdp_pass_drop.o --json
`,
  'prog load': `usage: wxdp prog load OBJ.o [engine jit|interp] [type TYPE] [--log [1|2]] [--no-verify] [--json]
  Load an object: maps created, programs verified and compiled; says what each program became.
  engine E      jit (default) or interp
  type TYPE     every program's type, named as a section (xdp, xdp.frags, xdp/devmap…), as bpftool's
                \`prog load … type\`: for objects whose sections name none (SEC("xdp_vlan01"))
  --log [1|2]   the verifier's log (level 1, or 2 for every instruction), as bpftool -d prog load
  --no-verify   skip the verifier: the programs run checked
${OBJECT_OPTIONS}example: wxdp prog load programs/xdp_tailcall.o --log
`,
  'prog dump': `usage: wxdp prog dump OBJ.o [name NAME] [syntax llvm|ubpf] [--json]
  The instructions of each program (or NAME), with the BTF source lines and the maps they load.
example: wxdp prog dump programs/xdp_lb.o name xdp_lb
`,
  'prog run': `usage: wxdp prog run OBJ.o [name NAME] data_in FILE [data_out FILE] [ctx_in FILE] [repeat N] [engine jit|interp] [type TYPE]
                    [--map-update MAP KEY VALUE]... [--devices N] [--sysctl NAME=VALUE]... [--ip-batch FILE]...
                    [--nft FILE]... [--dump-maps] [--json]
  BPF_PROG_TEST_RUN for XDP, as bpftool prog run: prints "Return value: N, duration: Mns" (with
  " (average)" when repeat > 1). data_out FILE ("-" for stdout) gets the packet after the program;
  without it the packet is shown as a hex dump.
  name NAME              the program (default: the first)     repeat N   runs, 1..2^32-1 (default 1)
  type TYPE              every program's type, as prog load's
  --map-update M K V     set an entry before the run (K, V: BYTES, quoted as one word each)
  --devices N            ring devices eth0..eth{N-1} (0..64) for redirects
  --sysctl / --ip-batch  configure the stack behind XDP_PASS, in the order given
  --nft FILE             nftables rules for its netfilter hooks (nft -f syntax), in that order too
  --dump-maps            every map's entries after the run (a key whose lookup fails: its error)
${OBJECT_OPTIONS}${BYTES}example: wxdp prog run programs/xdp_icmp_echo.o data_in ping.bin data_out reply.bin
`,
  map: `usage: wxdp map dump|lookup|update|push|enqueue|pop|dequeue|peek OBJ.o name MAP ...   (the maps as loading OBJ.o leaves them)
${MAP_LIVE_USAGE.replace(/^usage: /, '       ')}  wxdp help map SUB (or wxdp map SUB --help) for each one.
example: wxdp map dump programs/xdp_globals.o name .rodata
`,
  'map dump': `usage: wxdp map dump OBJ.o name MAP [--json]
       wxdp map dump (name MAP | id N) --socket PATH [--json]
  Every entry of MAP, as JSON lines (hex bytes, and the BTF-decoded key and value when there is BTF).
  A queue, stack or bloom filter has no keys to walk: "Found 0 elements" and bpftool's errno (EINVAL,
  EOPNOTSUPP for a bloom filter), exit 1; pop or peek reads it.
example: wxdp map dump programs/xdp_globals.o name .rodata
`,
  'map lookup': `usage: wxdp map lookup OBJ.o name MAP key BYTES [--json]
       wxdp map lookup (name MAP | id N) key BYTES --socket PATH [--json]
  One entry of MAP; a key that is not there is an error (exit 1). Without a key on a queue or a stack it is
  bpftool's peek (the value next out; empty: Not found, ENOENT); a bloom filter is then asked about no value
  (Not found, as bpftool answers): peek … value BYTES asks about one.
${BYTES}example: wxdp map lookup programs/xdp_lb.o name vips key hex 00 00 00 00 00 00 00 00
`,
  'map update': `usage: wxdp map update OBJ.o name MAP key BYTES value BYTES [flags any|noexist|exist] [--json]
       wxdp map update (name MAP | id N) key BYTES value BYTES [flags F] --socket PATH [--json]
  Set one entry (offline: in the maps this command loaded, which are gone when it ends) and print it.
${BYTES}example: wxdp map update programs/xdp_lb.o name backends key 0 0 0 0 value hex 11 11 11 11 11 11 11 11 11 11 11 11
`,
  'map push': KEYLESS_HELP('push'),
  'map enqueue': KEYLESS_HELP('enqueue'),
  'map pop': KEYLESS_HELP('pop'),
  'map dequeue': KEYLESS_HELP('dequeue'),
  'map peek': KEYLESS_HELP('peek'),
  'map show': `${MAP_LIVE_USAGE}example: wxdp map show --socket /run/wxdp.sock
`,
  'map live': `${MAP_LIVE_USAGE}example: wxdp map dump name conntrack --socket /run/wxdp.sock
`,
  'map delete': `${MAP_LIVE_USAGE}example: wxdp map delete name conntrack key hex c0 00 02 01 --socket /run/wxdp.sock
`,
  'prog list': `${PROG_LIVE_USAGE}example: wxdp prog list --socket /run/wxdp.sock
`,
  'prog attach': `${PROG_LIVE_USAGE}example: wxdp prog attach programs/xdp_pass_drop.o name xdp_drop dev eth0 --socket /run/wxdp.sock
`,
  'prog detach': `${PROG_LIVE_USAGE}example: wxdp prog detach dev eth0 --socket /run/wxdp.sock
`,
  run: `usage: wxdp run OBJ.o [name PROG] --in IN.pcap [--out OUT.pcapng] [--sysctl NAME=VALUE]... [--ip-batch FILE]... [--nft FILE]...
                [--devices N] [--mtu N] [--batch N] [--map-update MAP KEY VALUE]... [--dump-maps] [--progress] [--json]
  Replay a capture (pcap or pcapng; Ethernet, or Linux cooked capture v1/v2 converted to Ethernet)
  through eth0 running the program, and write what came out (each device's TX and host side) to a
  pcapng file, each frame with the timestamp of the packet that produced it. A capture cut short
  keeps its complete packets, with a warning.
  The program is NAME, else the object's first XDP program; the object's tracepoint programs (tp_btf,
  raw_tp, tracepoint/xdp) are attached for the replay, as a skeleton attaches them (a note for one
  that cannot be).
  --in FILE          the capture (required)            --out FILE   pcapng output (opened before the run)
  --devices N        ring devices, 1..64 (default 2)   --mtu N      ${DEVICE_MIN_MTU}..${DEVICE_MAX_MTU} (default 1500)
  --batch N          frames per poll, 1..256 (default 64)
  --map-update M K V set an entry before the replay     --dump-maps  every map's entries after it
  --progress         progress on stderr (default: only when stderr is a terminal)
  --sysctl / --ip-batch  configure the stack behind XDP_PASS, in the order given
${OBJECT_OPTIONS}  --nft FILE         nftables rules for its netfilter hooks (nft -f syntax), in that order too
${BYTES}example: wxdp run programs/xdp_lb.o --in trace.pcap --out out.pcapng --dump-maps
`,
  nft: `${NFT_CLI_USAGE}example: wxdp nft -f router.nft list ruleset
`,
  ip: `${IP_CLI_USAGE}example: wxdp ip -batch router.batch route show table all
`,
  up: `${UP_USAGE}example: wxdp up wxdp.json --check
`,
  link: `${LINK_USAGE}example: wxdp link show eth0 -s --socket /run/wxdp.sock
`,
  stats: `${STATS_USAGE}example: wxdp stats --once --socket /run/wxdp.sock
`,
  bench: `${BENCH_USAGE}  An --only that matches no row is an error (exit 2): nothing ran.
example: wxdp bench datapath --quick --only xdp_drop
`,
};

/** The help of `cmd` (and `sub` when it has one of its own); undefined for an unknown command. */
export function helpText(cmd: string, sub?: string): string | undefined {
  if (sub !== undefined && TEXTS[`${cmd} ${sub}`] !== undefined) return TEXTS[`${cmd} ${sub}`];
  return TEXTS[cmd];
}

export const COMMANDS = Object.keys(TEXTS).filter((k) => !k.includes(' '));
