// `wxdp ip [-j] [-4|-6] [-d] [-s] [-force] [-batch FILE] [OBJECT COMMAND …]`: iproute2's syntax against a
// stack that lives for this command only (wxdp keeps no state between commands), so the useful forms
// build the state with -batch (and --sysctl, --devices) and then show it:
//
//   wxdp ip -batch router.batch route show table all
//   wxdp ip -j -batch router.batch route get 198.51.100.7 from 192.0.2.2
//
// What `ip` would print goes to stdout/stderr as ip prints it, with ip's exit status; a batch that
// ends on a parse error (ip exits there without naming the line) also gets "Command failed FILE:LINE".
// `-j` is iproute2's JSON; `--json` wraps the command's JSON in the CLI's shape.
//
// With `--socket PATH` (or WXDP_SOCKET set) the command goes to a running data path instead (wxdp up,
// dp.listen): -batch FILE is read here and applied there, then the command runs there.

import { Datapath } from '../control/datapath.js';
import { ipArgv, ipBatch, IpError, parseIpOptions } from '../control/ip/index.js';
import { WxdpError } from '../errors.js';
import type { Io } from './io.js';
import { configureStack, progressBar, readBatch, type StackStep } from './stack.js';
import { commonOptions, wantsSocket, withClient } from './live.js';
import { RemoteError } from '../control/control_client.js';

export const IP_CLI_USAGE = `usage: wxdp ip [ -j ] [ -4 | -6 ] [ -d ] [ -s ] [ -force ] [ -batch FILE ] [ OBJECT COMMAND ... ]
              [ --sysctl NAME=VALUE ]... [ --devices N ] [ --json ]
  OBJECT := { link | address | route | rule | neighbor }, iproute2's syntax and abbreviations
  The stack lives for this command only: -batch FILE (or "-" for stdin) builds it, then the command
  (typically a show or get) runs against it. --devices N adds ring devices eth0..eth{N-1} first, as
  \`wxdp run\` has them; --sysctl applies in order with -batch. -j prints iproute2's JSON, --json the
  CLI's: { batch: { file, commands }, command, result }.
  --socket PATH (or WXDP_SOCKET): against a running data path (wxdp up, dp.listen) instead; -batch FILE
  is applied there, and what it changes stays.
`;

export async function ipCli(argv: string[], io: Io): Promise<number> {
  if (wantsSocket(argv) && !argv.includes('--help') && !argv.includes('-h')) return ipLive(argv, io);
  const ipWords: string[] = [];
  const steps: StackStep[] = [];
  let json = false;
  let devices = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      io.out(IP_CLI_USAGE);
      return 0;
    } else if (a === '--json') json = true;
    else if (a === '--sysctl' || a === '--devices') {
      const v = argv[++i];
      if (v === undefined) throw new WxdpError('USAGE', `${a} needs a value`);
      if (a === '--sysctl') steps.push({ kind: 'sysctl', arg: v });
      else {
        devices = Number(v);
        if (!Number.isInteger(devices) || devices < 0 || devices > 64) throw new WxdpError('USAGE', '--devices must be 0..64');
      }
    } else ipWords.push(a);
  }
  let parsed: ReturnType<typeof parseIpOptions>;
  try {
    parsed = parseIpOptions(ipWords);
  } catch (e) {
    if (e instanceof IpError) return fail(io, e, json);
    throw e;
  }
  const { opts, rest } = parsed;
  if (opts.batch !== undefined) steps.push({ kind: 'batch', arg: opts.batch });
  if (!steps.some((s) => s.kind === 'batch') && rest.length === 0) throw new WxdpError('USAGE', `nothing to do: give -batch FILE and/or a command\n${IP_CLI_USAGE}`);

  const dp = await Datapath.create();
  for (let d = 0; d < devices; d++) dp.addDevice({ name: `eth${d}` });
  const ipOpts = { ...(opts.family ? { family: opts.family } : {}), ...(opts.details ? { details: opts.details } : {}), ...(opts.stats ? { stats: opts.stats } : {}) };
  let batch: { file: string; commands: number } | undefined;
  try {
    // sysctls and the batch in the order given; the batch's output (its show lines) is ip's stdout
    for (const s of steps) {
      if (s.kind === 'sysctl') {
        configureStack(dp, [s], io.err);
        continue;
      }
      const text = readBatch(s.arg);
      const r = ipBatch(dp, text, { ...ipOpts, ...progressBar(s.arg, text, io.err), json: opts.json ?? false, force: opts.force ?? false, name: s.arg });
      if (!json) io.out(r.stdout);
      if (r.stderr) io.err(r.stderr);
      // -force: ip ran every line it could and still exits 1 when one failed
      if (r.errors.length) return json ? fail(io, r.errors[0]!, true) : 1;
      batch = { file: s.arg, commands: r.commands };
    }
    if (rest.length === 0) {
      if (json) io.out(JSON.stringify({ batch: batch ?? null, command: null, result: null }, null, 2) + '\n');
      return 0;
    }
    const r = ipArgv(dp, rest, { ...ipOpts, json: json || (opts.json ?? false) });
    if (r.stderr) io.err(r.stderr);
    if (json) io.out(JSON.stringify({ batch: batch ?? null, command: rest.join(' '), result: r.stdout === '' ? null : JSON.parse(r.stdout) }, null, 2) + '\n');
    else io.out(r.stdout);
    return 0;
  } catch (e) {
    if (e instanceof IpError) return fail(io, e, json);
    throw e;
  }
}

/**
 * Print a refused command as ip does (a batch that ended on a parse error also names its line); ip's exit
 * status: a batch's is EXIT_FAILURE whatever the line's would be alone (measured with iproute2 6.1: a
 * refused `rule add` exits 2 alone and 1 as a line of -batch).
 */
function fail(io: Io, e: IpError, json = false): number {
  const status = e.line !== undefined ? 1 : e.status;
  if (json) {
    // the CLI's one error shape: the errno the tables gave (else IP_SYNTAX), ip's words, where in the batch
    const where = e.line !== undefined ? `${e.file}:${e.line}: ` : '';
    io.out(JSON.stringify({ error: { code: e.errno ?? 'IP_SYNTAX', message: where + e.stderr.trim().split('\n').join('; ') } }) + '\n');
    return status;
  }
  if (e.stdout) io.out(e.stdout);
  io.err(e.stderr);
  if (e.fatal && e.line !== undefined) io.err(`Command failed ${e.file}:${e.line}\n`);
  return status;
}

/** `wxdp ip … --socket PATH`: the batch and the command run in the data path behind the socket. */
async function ipLive(argv: string[], io: Io): Promise<number> {
  const c = commonOptions(argv);
  const stray = c.rest.find((a) => a === '--sysctl' || a === '--devices');
  if (stray) throw new WxdpError('USAGE', `${stray} builds a throwaway stack: not with --socket (use ip commands, or the config's sysctls)`);
  let parsed: ReturnType<typeof parseIpOptions>;
  try {
    parsed = parseIpOptions(c.rest);
  } catch (e) {
    if (e instanceof IpError) return fail(io, e);
    throw e;
  }
  const { opts, rest } = parsed;
  if (opts.batch === undefined && rest.length === 0) throw new WxdpError('USAGE', `nothing to do: give -batch FILE and/or a command\n${IP_CLI_USAGE}`);
  const options = { ...(opts.family ? { family: opts.family } : {}), ...(opts.details ? { details: opts.details } : {}), ...(opts.stats ? { stats: opts.stats } : {}), ...(opts.json ? { json: true } : {}) };
  // the option words as given, without -batch FILE and -force (they are the batch's): for the command
  const optionWords: string[] = [];
  for (let i = 0; i < c.rest.length - rest.length; i++) {
    const w = c.rest[i]!;
    if (w === '--') continue;
    if (w.startsWith('-b') && '-batch'.startsWith(w.replace(/^--/, '-'))) {
      i++;
      continue;
    }
    if (w.startsWith('-f') && '-force'.startsWith(w.replace(/^--/, '-')) && w.length > 2) continue;
    optionWords.push(w);
  }
  return withClient(io, 'ip', c.socket, c.json, async (cl) => {
    let batch: { file: string; commands: number } | undefined;
    try {
      if (opts.batch !== undefined) {
        const text = readBatch(opts.batch);
        const r = await cl.request<{ stdout: string; stderr: string; commands: number; failed: number }>('ip', { batch: text, name: opts.batch, force: opts.force ?? false, options });
        if (!c.json) io.out(r.stdout);
        if (r.stderr) io.err(r.stderr);
        if (r.failed) return 1;
        batch = { file: opts.batch, commands: r.commands };
      }
      if (rest.length === 0) {
        if (c.json) io.out(JSON.stringify({ batch: batch ?? null, command: null, result: null }, null, 2) + '\n');
        return 0;
      }
      const r = await cl.request<{ stdout: string; stderr: string }>('ip', { argv: [...(c.json ? ['-j'] : []), ...optionWords, ...rest] });
      if (r.stderr) io.err(r.stderr);
      if (c.json) io.out(JSON.stringify({ batch: batch ?? null, command: rest.join(' '), result: r.stdout === '' ? null : JSON.parse(r.stdout) }, null, 2) + '\n');
      else io.out(r.stdout);
      return 0;
    } catch (e) {
      // ip's own refusal: printed as ip prints it, with ip's exit status
      if (e instanceof RemoteError && e.remote.status !== undefined) {
        const r = e.remote;
        if (r.stdout) io.out(r.stdout);
        io.err(r.stderr ?? r.message + '\n');
        if (r.fatal && r.line !== undefined) io.err(`Command failed ${r.file}:${r.line}\n`);
        return r.line !== undefined ? 1 : r.status!;
      }
      throw e;
    }
  });
}
