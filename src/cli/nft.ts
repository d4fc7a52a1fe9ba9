// `wxdp nft [-a] [-c] [-I DIR]... [-f FILE]... [--ip-batch FILE]... [--devices N] [COMMAND ...]`: nft's front end against
// a stack that lives for this command only (wxdp keeps no state between commands): -f files are applied
// in order, each one transaction, then the command (typically `list ruleset`) runs and prints what nft
// would. -c checks the input and prints nothing (nft -c). A refused input prints nft's message (file,
// line, columns, the line and carets) on stderr and exits 1, as nft does.

import { Datapath } from '../control/datapath.js';
import { NftError } from '../control/nft.js';
import { usageError, type Io } from './io.js';
import { checkStackFiles, configureStack, type StackStep } from './stack.js';

export const NFT_CLI_USAGE = `usage: wxdp nft [ -a ] [ -c ] [ -I DIR ]... [ -f FILE ]... [ --ip-batch FILE ]... [ --devices N ] [ COMMAND ... ]
  nftables' nft (a subset of its syntax) against a stack that lives for this command only: -f FILE (or
  "-" for stdin) is read as nft -f reads it, one transaction each, in the order given with --ip-batch
  (the devices iif/oif name), then COMMAND runs, e.g. \`list ruleset\`. -a shows handles in listings,
  -c checks the input without printing. -I DIR is searched for \`include "NAME"\` (nft's default: /etc; a
  ./ or ../ NAME is from the working directory, as nft's). Errors are nft's: FILE:LINE:FIRST-LAST: Error: …, exit 1.
`;

export async function nftCli(argv: string[], io: Io): Promise<number> {
  const steps: StackStep[] = [];
  const words: string[] = [];
  let handles = false;
  let check = false;
  let devices = 0;
  const includePaths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-a' || a === '--handle') handles = true;
    else if (a === '-c' || a === '--check') check = true;
    else if (a === '-I' || a === '--includepath') {
      const v = argv[++i];
      if (v === undefined) throw usageError(`${a} needs a value`);
      includePaths.push(v);
    } else if (a === '-f' || a === '--file' || a === '--nft' || a === '--ip-batch' || a === '--devices') {
      const v = argv[++i];
      if (v === undefined) throw usageError(`${a} needs a value`);
      if (a === '--devices') {
        devices = /^[0-9]+$/.test(v) ? Number(v) : NaN;
        if (!(devices >= 0 && devices <= 64)) throw usageError(`--devices must be 0..64, not '${v}'`);
      } else steps.push({ kind: a === '--ip-batch' ? 'batch' : 'nft', arg: v });
    } else words.push(a);
  }
  checkStackFiles(steps);
  const dp = await Datapath.create();
  for (let d = 0; d < devices; d++) dp.addDevice({ name: `eth${d}` });
  try {
    const scan = includePaths.length ? { includePaths } : {};
    configureStack(dp, steps, io.err, {}, scan);
    const cmd = words.join(' ');
    if (cmd === '') return 0;
    const out = dp.nftables.run(cmd, undefined, handles, scan);
    if (!check) io.out(out);
    return 0;
  } catch (e) {
    if (e instanceof NftError) {
      io.err(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
}


