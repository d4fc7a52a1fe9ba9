// `wxdp`: the command line. Every command goes through the public modules; nothing imports this file.
// Help: `wxdp help COMMAND [SUB]` or --help/-h anywhere in a command (help.ts). Failures: one line on
// stderr, "wxdp CMD: MESSAGE", exit 2 for a usage error and 1 otherwise; with --json the same error as
// {"error":{"code","message"}} on stdout instead. No stack trace reaches the user (WXDP_DEBUG=1 shows it).

import { configureProgramCache } from '../cache/program_cache.js';
import { WxdpError } from '../errors.js';
import { FileError } from './files.js';
import { usageError, type Io } from './io.js';
import { conformanceCommand } from './conformance.js';
import { asmCommand, disasmCommand, execCommand } from './program.js';
import { takeObjectOptions } from './object_options.js';

const USAGE = `usage: wxdp <command> [options]
       wxdp help COMMAND [SUB]     (or wxdp COMMAND [SUB] --help): usage, options and an example
       --no-cache (any command): verify and compile again, ignoring and keeping nothing in the on-disk
       cache of programs ($WXDP_CACHE_DIR, $XDG_CACHE_HOME/wxdp or ~/.cache/wxdp; $WXDP_CACHE_SIZE, 256M)

commands:
  conformance DIR [--engine interp|jit|both] [--relaxed] [--json] [--verbose]
      run bpf_conformance .data vectors; ends with "N passed, N failed, N skipped" (none found: exit 2)
  asm FILE [-o OUT] [--syntax ubpf|llvm|auto]
      assemble eBPF text to instruction bytes (stdout as hex words unless -o)
  disasm FILE [--syntax llvm|ubpf] [--addresses]
      disassemble raw instruction bytes (or a .data / assembler file)
  exec FILE [--mem HEX | --mem-file F] [--engine interp|jit] [--trace] [--relaxed] [--json]
      run a program (raw bytes, assembler text or .data vector) on input memory and print r0
  prog show OBJ.o [--json]                 programs, maps, license of an object (parse only)
  prog load OBJ.o [engine jit|interp] [--log [1|2]] [--no-verify] [--json]   load: maps created, programs verified and compiled
  prog dump OBJ.o [name NAME] [syntax llvm|ubpf] [--json]   instructions with BTF source lines
  prog run OBJ.o [name NAME] data_in FILE [data_out FILE] [ctx_in FILE] [repeat N] [engine jit|interp]
           [--map-update MAP KEY VALUE]... [--devices N] [--sysctl NAME=VALUE]... [--ip-batch FILE]... [--nft FILE]... [--dump-maps] [--json]
      BPF_PROG_TEST_RUN for XDP, as bpftool prints it: "Return value: N, duration: Mns"
  map dump|lookup|update OBJ.o name MAP [key BYTES] [value BYTES] [flags any|noexist|exist] [--json]
  map push|enqueue|pop|dequeue|peek OBJ.o name MAP [value BYTES] [flags any|noexist|exist] [--json]
      queue, stack and bloom_filter maps (bpftool's verbs)
      maps as loading the object leaves them (wxdp keeps no state between commands)
  run OBJ.o [name PROG] --in IN.pcap [--out OUT.pcapng] [--devices N] [--mtu N] [--map-update MAP KEY VALUE]...
           [--dump-maps] [--progress] [--sysctl NAME=VALUE]... [--ip-batch FILE]... [--nft FILE]... [--json]
                                         replay a capture through a device running the program
      --sysctl / --ip-batch / --nft configure the stack behind XDP_PASS and its netfilter rules before the run, in the order given
  ip [-j] [-4|-6] [-batch FILE] [OBJECT COMMAND ...] [--sysctl NAME=VALUE]... [--devices N] [--json]
      iproute2's ip against a stack that lives for the command: -batch builds it, then e.g. route show
  nft [-a] [-c] [-I DIR]... [-f FILE]... [--ip-batch FILE]... [--devices N] [COMMAND ...]
      nftables' nft against a stack that lives for the command: -f FILE (nft's syntax, one transaction), then e.g. list ruleset
  up CONFIG [--socket PATH] [--check]
      run the data path CONFIG describes (devices, sysctls, ip lines, programs, services) until SIGTERM;
      serves a control socket; SIGHUP reloads CONFIG. The commands below with --socket PATH (or
      WXDP_SOCKET) talk to it, or to an embedder's dp.listen(PATH):
  ip … --socket PATH                      ip commands and -batch against the running data path
  prog list|attach OBJ.o [name PROG] dev DEV|detach dev DEV [--socket PATH] [--json]
  map show|dump|lookup|update|delete|push|enqueue|pop|dequeue|peek (name MAP | id N) [key BYTES] [value BYTES] --socket PATH [--json]
  link show [DEV] [-s] [--socket PATH] [--json]   devices, their programs and (-s) counters
  conntrack -L [-p PROTO] [-s ADDR] [-d ADDR] | -S | -F [--socket PATH] [--json]   the connection tracking table
  stats [--once] [--interval S] [--count N] [--socket PATH] [--json]   live Mpps and drops by reason
  bench [datapath|engine|programs|interp|verifier|micro|forward|fib|udp|link|flows|workers|all] [--json] [--quick] [--only NAME]
      datapath (default): Mpps through a device's RX ring and the NAPI poll, beside the kernel's test_run
      forward: IPv4 forwarding Mpps (stack, XDP router) on a full table, beside wxdp XDP_DROP and the kernel
      engine: interpreter vs JIT vs the kernel; programs: programs/ vs the kernel; verifier: verify time
      fib: LPM lookups/s, MiB, build and update times on 1M-prefix tables, beside bpf_fib_lookup
      udp: L4 demux Mpps to socket queues, datagrams/s to JavaScript and the send path, beside node:dgram
      link: pps/Mbps routed through VXLAN links from a namespace, beside the kernel (root)
`;

/** `--help`/`-h` among a command's words: its help (the subcommand's when the first word names one). */
function wantsHelp(rest: readonly string[]): boolean {
  const end = rest.indexOf('--');
  return (end < 0 ? rest : rest.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

export async function main(argv: string[], io: Io): Promise<number> {
  // --no-cache, anywhere before `--`: verify and compile again, and keep nothing (src/cache).
  const end = argv.indexOf('--');
  const noCache = argv.findIndex((a, i) => a === '--no-cache' && (end < 0 || i < end));
  if (noCache >= 0) {
    configureProgramCache({ enabled: false });
    argv = argv.filter((_, i) => i !== noCache);
  }
  const [cmd, ...words] = argv;
  const json = words.includes('--json');
  try {
    // The commands that load an object take --max-memory, --max-entries and --global anywhere (object_options.ts).
    const rest = cmd === 'prog' || cmd === 'map' || cmd === 'run' ? takeObjectOptions(words) : words;
    if (cmd === 'help' && rest.length > 0) {
      const { helpText } = await import('./help.js');
      const text = helpText(rest[0]!, rest[1]);
      if (text === undefined) throw usageError(`no command '${rest[0]}' (wxdp help lists them)`);
      io.out(text);
      return 0;
    }
    if (cmd !== undefined && wantsHelp(rest)) {
      const { helpText } = await import('./help.js');
      // `map dump name MAP --help` (no OBJ.o) and anything with --socket: the live map commands' help
      const { wantsSocket } = await import('./live.js');
      const liveMap = cmd === 'map' && (rest[1] === 'name' || rest[1] === 'id' || wantsSocket(rest));
      const text = helpText(cmd, liveMap ? 'live' : rest[0]);
      if (text !== undefined) {
        io.out(text);
        return 0;
      }
    }
    switch (cmd) {
      case 'conformance':
        return await conformanceCommand(rest, io);
      case 'asm':
        return asmCommand(rest, io);
      case 'disasm':
        return disasmCommand(rest, io);
      case 'exec':
        return await execCommand(rest, io);
      case 'prog': {
        const [sub, ...args] = rest;
        if (sub === '--help' || sub === '-h') {
          const { PROG_LIVE_USAGE } = await import('./live.js');
          io.out(`usage: wxdp prog show|load|dump|run OBJ.o ...   (an object file, loaded for the command)\n${PROG_LIVE_USAGE.replace(/^usage: /, '       ')}`);
          return 0;
        }
        if (sub === 'list' || sub === 'attach' || sub === 'detach') {
          const { progLiveCommand } = await import('./live.js');
          return await progLiveCommand(sub, args, io);
        }
        const { progCommand } = await import('./prog.js');
        return await progCommand(rest, io);
      }
      case 'map': {
        const [sub, first, ...args] = rest;
        const { wantsSocket, mapLiveCommand, MAP_LIVE_USAGE } = await import('./live.js');
        if (sub === '--help' || sub === '-h') {
          io.out(`usage: wxdp map dump|lookup|update|push|enqueue|pop|dequeue|peek OBJ.o name MAP ...   (the maps as loading OBJ.o leaves them)\n${MAP_LIVE_USAGE.replace(/^usage: /, '       ')}`);
          return 0;
        }
        // live maps: show and delete exist only there; dump, lookup and update when a socket is named
        // or no OBJ.o is (the map named right after the command: name MAP, id N)
        const named = rest.some((a) => a === '--socket' || a.startsWith('--socket='));
        if (sub === 'show' || sub === 'delete' || named || first === 'name' || first === 'id' || (wantsSocket(rest) && first === undefined)) {
          return await mapLiveCommand(sub!, [first, ...args].filter((a): a is string => a !== undefined), io);
        }
        const { mapCommand } = await import('./prog.js');
        return await mapCommand(rest, io);
      }
      case 'up': {
        const { upCommand } = await import('./up.js');
        return await upCommand(rest, io);
      }
      case 'link': {
        const { linkCommand } = await import('./live.js');
        return await linkCommand(rest, io);
      }
      case 'stats': {
        const { statsCommand } = await import('./live.js');
        return await statsCommand(rest, io);
      }
      case 'run': {
        const { runCommand } = await import('./run.js');
        return await runCommand(rest, io);
      }
      case 'conntrack': {
        const { conntrackCommand } = await import('./conntrack.js');
        return await conntrackCommand(rest, io);
      }
      case 'ip': {
        const { ipCli } = await import('./ip.js');
        return await ipCli(rest, io);
      }
      case 'nft': {
        const { nftCli } = await import('./nft.js');
        return await nftCli(rest, io);
      }
      case 'bench': {
        const { benchCommand } = await import('../../bench/engine.js');
        return await benchCommand(rest, io);
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return cmd === undefined ? 1 : 0;
      default:
        io.err(`wxdp: unknown command '${cmd}'\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    const { code, message, status } = describeError(e);
    if (json) io.out(JSON.stringify({ error: { code, message } }) + '\n');
    else io.err(`wxdp ${cmd}: ${message}\n`);
    if (code === 'INTERNAL' && process.env['WXDP_DEBUG']) io.err(`${(e as Error)?.stack ?? String(e)}\n`);
    return status;
  }
}

/**
 * Every failure as one line: a WxdpError's code and message; node:util's parseArgs refusal as a usage
 * error; a file-system error (ENOENT, EACCES, EISDIR, ENOSPC…) with its file and errno; anything else
 * as INTERNAL with its message (the stack only with WXDP_DEBUG=1). Exit 2 for usage errors, else 1.
 */
function describeError(e: unknown): { code: string; message: string; status: number } {
  if (e instanceof WxdpError) return { code: e.code, message: e.message, status: e.code === 'USAGE' ? 2 : 1 };
  if (e instanceof FileError) return { code: e.code, message: e.message, status: 1 };
  const ne = e as NodeJS.ErrnoException & { code?: string };
  if (e instanceof TypeError && ne.code?.startsWith('ERR_PARSE_ARGS')) {
    const opt = /option '([^']+)'/.exec(ne.message);
    const message =
      ne.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && opt ? `unknown option '${opt[1]}'`
      : ne.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' ? `unexpected argument ${/'[^']*'/.exec(ne.message)?.[0] ?? ''}`.trim()
      : ne.message.split('. ')[0]!;
    return { code: 'USAGE', message, status: 2 };
  }
  if (e instanceof Error && typeof ne.code === 'string' && typeof ne.syscall === 'string') {
    return { code: 'IO', message: `${ne.path ? `'${ne.path}': ` : ''}${ne.syscall}: ${ne.code}`, status: 1 };
  }
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e), status: 1 };
}

