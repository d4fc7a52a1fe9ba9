// What one `ip` command runs with (ip.c's globals: preferred_family, json, show_details …) and the
// door to the tables: every call goes through talk(), which turns a table's NetError into the text
// `ip` prints for a refused netlink request — "RTNETLINK answers: <strerror>" when the kernel has only
// an errno to give, "Error: <extack>." when it says more — with ip's exit status.

import { NetError, type Family, type NetErrno } from '../net_types.js';
import { AF_INET, AF_INET6, AF_UNSPEC, IpError } from './syntax.js';
import type { IpTables } from './tables.js';

export interface IpContext {
  t: IpTables;
  /** preferred_family: AF_UNSPEC, AF_INET or AF_INET6 (-4, -6, -f). */
  family: number;
  json: boolean;
  details: number;
  stats: number;
  /** Warnings `ip` prints on stderr for a command that still succeeds. */
  warnings: string[];
}

const STRERROR: Readonly<Record<NetErrno, string>> = {
  EEXIST: 'File exists',
  ENOENT: 'No such file or directory',
  ESRCH: 'No such process',
  ENETUNREACH: 'Network is unreachable',
  EHOSTUNREACH: 'No route to host',
  EINVAL: 'Invalid argument',
  ENODEV: 'No such device',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  ENOBUFS: 'No buffer space available',
  ENOMEM: 'Cannot allocate memory',
  EOPNOTSUPP: 'Operation not supported',
  EAFNOSUPPORT: 'Address family not supported by protocol',
  ERANGE: 'Numerical result out of range',
  EBUSY: 'Device or resource busy',
  EACCES: 'Permission denied',
  ENETDOWN: 'Network is down',
  ENFILE: 'Too many open files in system',
  ENXIO: 'No such device or address',
  EXDEV: 'Invalid cross-device link',
};

/** The line `ip` prints for a refused request. */
export function netErrorText(e: NetError): string {
  const m = e.message;
  if (/^(Error: |Warning: |RTNETLINK answers: |Cannot find device )/.test(m)) return m.endsWith('\n') ? m : m + '\n';
  if (m === STRERROR[e.errno] || m === '') return `RTNETLINK answers: ${STRERROR[e.errno]}\n`;
  return `Error: ${m}${m.endsWith('.') ? '' : '.'}\n`;
}

/**
 * Run one table operation as rtnl_talk does: a NetError becomes the IpError `ip` reports, with exit
 * status 2 (the command returns -2), or `fatal` when that command calls exit() on it (ip neigh).
 */
export function talk<T>(fn: () => T, opts: { fatal?: boolean } = {}): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof NetError) throw new IpError(netErrorText(e), { status: 2, fatal: opts.fatal ?? false, errno: e.errno });
    throw e;
  }
}

/** ll_name_to_index: 0 when there is no such link. */
export function ifindexOf(ctx: IpContext, name: string): number {
  try {
    return ctx.t.links.ifindex(name);
  } catch (e) {
    if (e instanceof NetError && e.errno === 'ENODEV') return 0;
    throw e;
  }
}

export function familyOf(af: number): Family {
  return af === AF_INET6 ? 'inet6' : 'inet';
}

export function afOf(text: string): number {
  return text.includes(':') ? AF_INET6 : AF_INET;
}

/** What wxdp parses but does not implement: refused after the whole line parsed, as the kernel would refuse it. */
export function unsupported(what: string, object: string): IpError {
  return new IpError(`Error: wxdp does not support "${what}" in ip ${object}.\n`, { status: 2, fatal: false, errno: 'EOPNOTSUPP' });
}

export { AF_INET, AF_INET6, AF_UNSPEC };
