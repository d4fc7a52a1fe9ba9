// `wxdp up CONFIG [--socket PATH] [--check]`: run the data path a config file describes until SIGTERM or
// SIGINT (control/daemon.ts does the work). The log goes to stderr, one line per event, "wxdp up[PID]: …".
//
//   SIGTERM, SIGINT   graceful shutdown: the control socket closes, services stop, the rings drain, the
//                     final counters are logged, exit 0; a second signal during it exits at once (1)
//   SIGHUP            reload the config (the `reload` command does the same); a refused reload is logged
//                     and changes nothing
//
// A config that does not validate, or a socket another instance serves, is one line on stderr and exit 1.

import { Daemon } from '../control/daemon.js';
import { readDaemonConfig } from '../control/daemon_config.js';
import { WxdpError } from '../errors.js';
import type { Io } from './io.js';

export const UP_USAGE = `usage: wxdp up CONFIG [--socket PATH] [--check]
  Run the data path CONFIG (JSON: devices, sysctls, ip lines, programs, services; see the README) until
  SIGTERM or SIGINT, serving its control socket at PATH (default: the config's "socket", else
  $WXDP_SOCKET, else /run/wxdp.sock) for wxdp ip|prog|map|link|stats --socket PATH. SIGHUP reloads
  CONFIG. --check validates CONFIG and exits.
`;

/** After a shutdown, how long the process may take to end before it is ended (a service that left a handle). */
const EXIT_GRACE_MS = 2000;

export async function upCommand(argv: string[], io: Io): Promise<number> {
  let file: string | undefined;
  let socket: string | undefined;
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      io.out(UP_USAGE);
      return 0;
    } else if (a === '--socket') {
      socket = argv[++i];
      if (socket === undefined) throw new WxdpError('USAGE', '--socket needs a path');
    } else if (a.startsWith('--socket=')) socket = a.slice('--socket='.length);
    else if (a === '--check') check = true;
    else if (a.startsWith('-')) throw new WxdpError('USAGE', `unknown option '${a}'`);
    else if (file === undefined) file = a;
    else throw new WxdpError('USAGE', `one CONFIG only (not '${a}')\n${UP_USAGE}`);
  }
  if (file === undefined) throw new WxdpError('USAGE', `missing CONFIG\n${UP_USAGE}`);
  if (check) {
    const c = readDaemonConfig(file);
    io.out(`${file}: ok: ${c.devices.length} devices, ${c.sysctls.length} sysctls, ${c.ip.length} ip commands, ${c.programs.length} programs, ${c.services.length} services\n`);
    return 0;
  }

  const log = (line: string) => io.err(`wxdp up[${process.pid}]: ${line}\n`);
  const d = await Daemon.start(file, { ...(socket !== undefined ? { socket } : {}), log });
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        log(`${signal} again: exiting now`);
        process.exit(1);
      }
      stopping = true;
      d.shutdown(signal).then(
        () => {
          for (const [s, fn] of handlers) process.off(s, fn);
          setTimeout(() => {
            log(`still running ${EXIT_GRACE_MS} ms after the shutdown (a service left something open): exiting`);
            process.exit(0);
          }, EXIT_GRACE_MS).unref();
          resolve(0);
        },
        (e: unknown) => {
          log(`shutdown failed: ${(e as Error)?.message ?? String(e)}`);
          resolve(1);
        },
      );
    };
    const reload = () => {
      d.reload().catch((e: unknown) => log(`reload refused: ${(e as Error)?.message ?? String(e)}`));
    };
    const handlers: Array<[NodeJS.Signals, () => void]> = [
      ['SIGTERM', () => stop('SIGTERM')],
      ['SIGINT', () => stop('SIGINT')],
      ['SIGHUP', reload],
    ];
    for (const [s, fn] of handlers) process.on(s, fn);
  });
}
