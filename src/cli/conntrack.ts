// `wxdp conntrack`: conntrack-tools' commands against a running data path (wxdp up, dp.listen): -L lists
// the table as `conntrack -L` prints it (or --json: the entries as objects), -S its statistics, -F
// flushes it. wxdp keeps no state between commands, so without a socket there is no table to show.

import { WxdpError } from '../errors.js';
import type { CtEntry } from '../control/conntrack.js';
import type { Io } from './io.js';
import { commonOptions, withClient } from './live.js';

export const CONNTRACK_USAGE = `usage: wxdp conntrack -L [-p PROTO] [-s ADDR] [-d ADDR] [-f ipv4|ipv6] [--socket PATH] [--json]
       wxdp conntrack -S | -F [--socket PATH] [--json]
  -L  the table, one line per connection as conntrack -L prints it (--json: the entries as objects)
  -S  the counters of conntrack -S (found, invalid, insert, insert_failed, drop, early_drop, error, …)
  -F  delete every entry
  Against a running data path: --socket PATH or WXDP_SOCKET (wxdp up, dp.listen).
`;

export async function conntrackCommand(argv: string[], io: Io): Promise<number> {
  const c = commonOptions(argv);
  if (c.help || c.rest.length === 0) {
    io.out(CONNTRACK_USAGE);
    return c.help ? 0 : 2;
  }
  const [cmd, ...w] = c.rest;
  const filter: Record<string, string> = {};
  for (let i = 0; i < w.length; i++) {
    const k = w[i]!;
    const key = { '-p': 'proto', '--proto': 'proto', '-s': 'src', '--src': 'src', '-d': 'dst', '--dst': 'dst', '-f': 'family', '--family': 'family' }[k];
    const v = w[++i];
    if (key === undefined) throw new WxdpError('USAGE', `wxdp conntrack: unknown option '${k}'\n${CONNTRACK_USAGE}`);
    if (v === undefined) throw new WxdpError('USAGE', `wxdp conntrack: ${k} needs a value`);
    filter[key] = v;
  }
  if (cmd === '-L' || cmd === '--dump') {
    return withClient(io, 'conntrack -L', c.socket, c.json, async (cl) => {
      const r = await cl.request<{ entries: CtEntry[]; text: string }>('conntrack.list', filter);
      if (c.json) io.out(JSON.stringify({ entries: r.entries }, null, 2) + '\n');
      else {
        io.out(r.text);
        io.err(`conntrack v1.4.7 (wxdp): ${r.entries.length} flow entries have been shown.\n`);
      }
      return 0;
    });
  }
  if (Object.keys(filter).length) throw new WxdpError('USAGE', `wxdp conntrack ${cmd}: filters go with -L`);
  if (cmd === '-S' || cmd === '--stats') {
    return withClient(io, 'conntrack -S', c.socket, c.json, async (cl) => {
      const r = await cl.request<{ stats: Record<string, number> }>('conntrack.stats', {});
      if (c.json) io.out(JSON.stringify(r, null, 2) + '\n');
      else io.out(`cpu=0\t${Object.entries(r.stats).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
      return 0;
    });
  }
  if (cmd === '-F' || cmd === '--flush') {
    return withClient(io, 'conntrack -F', c.socket, c.json, async (cl) => {
      const r = await cl.request<{ deleted: number }>('conntrack.flush', {});
      if (c.json) io.out(JSON.stringify(r) + '\n');
      else io.err(`conntrack v1.4.7 (wxdp): connection tracking table has been emptied.\n`);
      return 0;
    });
  }
  throw new WxdpError('USAGE', `wxdp conntrack: unknown command '${cmd}'\n${CONNTRACK_USAGE}`);
}
