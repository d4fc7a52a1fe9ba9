// `wxdp-conformance-plugin`: lets the upstream bpf_conformance runner drive wxdp.
//
//   bpf_conformance_runner --test_file_directory tests --plugin_path wxdp-conformance-plugin \
//       --plugin_options "--engine jit"
//
// stdin: the program as hex bytes; argv[0]: input memory as hex (absent when empty); further
// arguments: --engine interp|jit (default jit), --relaxed (accept what uBPF accepts, e.g. shift
// immediates out of range), --no-cache (compile again; see src/cache). Prints r0 in hex and exits 0, or prints the error and exits 1.

import { parseArgs } from 'node:util';
import { configureProgramCache } from '../cache/program_cache.js';
import { createEngine } from '../control/engine.js';
import { WxdpError } from '../errors.js';
import { baseHelpers } from '../helpers/index.js';
import { decode } from '../isa/insn.js';
import { EngineMemory, INPUT_BASE } from '../runtime/memory.js';
import type { Io } from './io.js';
import { parseHexBytes } from './program.js';

export async function plugin(argv: string[], stdin: string, io: Io): Promise<number> {
  try {
    // The memory argument comes first when present; it is the only argument not starting with "--".
    const memArg = argv[0] !== undefined && !argv[0].startsWith('--') ? argv[0] : undefined;
    const { values } = parseArgs({
      args: memArg === undefined ? argv : argv.slice(1),
      options: {
        engine: { type: 'string', default: 'jit' },
        relaxed: { type: 'boolean', default: false },
        'no-cache': { type: 'boolean', default: false },
      },
    });
    if (values['no-cache']) configureProgramCache({ enabled: false });
    const engineName = values.engine;
    if (engineName !== 'interp' && engineName !== 'jit') {
      throw new WxdpError('USAGE', `--engine must be interp or jit, not '${engineName}'`);
    }
    const prog = decode(parseHexBytes(stdin, 'program (stdin)'));
    const mem = memArg === undefined ? new Uint8Array(0) : parseHexBytes(memArg, 'memory (argument 1)');
    const memory = new EngineMemory();
    const { engine } = await createEngine(prog, {
      engine: engineName,
      memory,
      helpers: baseHelpers({ trace: (line) => io.err(line) }),
      check: { relaxed: values.relaxed },
      maxInstructions: 100_000_000,
    });
    const region = memory.placeInput(mem);
    const { r0 } = engine.run({ args: [BigInt(INPUT_BASE), BigInt(mem.length)], regions: [region] });
    io.out(BigInt.asUintN(64, r0).toString(16) + '\n');
    return 0;
  } catch (e) {
    io.err(`wxdp-conformance-plugin: ${(e as Error).message}\n`);
    return 1;
  }
}
