// `wxdp`: the command line. Every command goes through the public modules; nothing imports this file.

import { WxdpError } from '../errors.js';
import { conformanceCommand } from './conformance.js';
import { asmCommand, disasmCommand, execCommand } from './program.js';

const USAGE = `usage: wxdp <command> [options]

commands:
  conformance DIR [--engine interp|jit|both] [--relaxed] [--json] [--verbose]
      run bpf_conformance .data vectors; ends with "N passed, N failed, N skipped"
  asm FILE [-o OUT] [--syntax ubpf|llvm|auto]
      assemble eBPF text to instruction bytes (stdout as hex words unless -o)
  disasm FILE [--syntax llvm|ubpf] [--addresses]
      disassemble raw instruction bytes (or a .data / assembler file)
  exec FILE [--mem HEX | --mem-file F] [--engine interp|jit] [--trace] [--relaxed] [--json]
      run a program (raw bytes, assembler text or .data vector) on input memory and print r0
  bench [--json] [--quick]
      engine benchmarks: interpreter vs JIT vs the kernel's BPF_PROG_TEST_RUN
`;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'conformance':
        return await conformanceCommand(rest, io);
      case 'asm':
        return asmCommand(rest, io);
      case 'disasm':
        return disasmCommand(rest, io);
      case 'exec':
        return await execCommand(rest, io);
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
    if (e instanceof WxdpError) {
      io.err(`wxdp ${cmd}: ${e.message}\n`);
      return e.code === 'USAGE' ? 2 : 1;
    }
    if (e instanceof TypeError && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`wxdp ${cmd}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

export function usageError(message: string): WxdpError {
  return new WxdpError('USAGE', message);
}
