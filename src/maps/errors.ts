// MapError: a map operation the kernel would have failed, with its errno. The code says what kind of
// failure it is; the message names the map, the operation and the errno.

import { type ErrorCode, WxdpError } from '../errors.js';
import { Errno, errnoName } from './uapi.js';

export type MapErrorCode = Extract<
  ErrorCode,
  'MAP_CREATE' | 'MAP_FULL' | 'MAP_NOT_FOUND' | 'MAP_EXISTS' | 'MAP_INVALID' | 'MAP_UNSUPPORTED' | 'MAP_NO_MEMORY'
>;

/** The error code for an errno returned by a map operation. */
export function mapErrorCode(errno: number): MapErrorCode {
  switch (Math.abs(errno)) {
    case Errno.ENOENT:
      return 'MAP_NOT_FOUND';
    case Errno.EEXIST:
      return 'MAP_EXISTS';
    case Errno.E2BIG:
    case Errno.ENOSPC:
    case Errno.EAGAIN:
      return 'MAP_FULL';
    case Errno.ENOMEM:
      return 'MAP_NO_MEMORY';
    case Errno.ENOTSUPP:
    case Errno.EOPNOTSUPP:
      return 'MAP_UNSUPPORTED';
    default:
      return 'MAP_INVALID';
  }
}

export class MapError extends WxdpError {
  /** The map's name. */
  readonly map: string;
  /** The operation: 'create', 'lookup', 'update', 'delete', 'get_next_key', 'push', 'pop', ... */
  readonly op: string;
  /** The positive errno (ENOENT 2, E2BIG 7, ...). */
  readonly errno: number;

  constructor(code: MapErrorCode, map: string, op: string, errno: number, detail?: string) {
    const e = Math.abs(errno);
    super(code, `map '${map}': ${op}: ${errnoName(e)}${detail ? ` (${detail})` : ''}`);
    this.map = map;
    this.op = op;
    this.errno = e;
  }

  /** The MapError for a negative errno `ret` returned by `op` on `map`. */
  static from(map: string, op: string, ret: number, detail?: string): MapError {
    return new MapError(op === 'create' ? 'MAP_CREATE' : mapErrorCode(ret), map, op, ret, detail);
  }
}

/**
 * glibc's strerror() text for an errno a map operation answers, as bpftool prints it for a key whose
 * lookup failed (ENOTSUPP, 524, is kernel-internal and has no text: "Unknown error 524").
 */
export function strerror(errno: number): string {
  const texts: Record<number, string> = {
    [Errno.EPERM]: 'Operation not permitted', [Errno.ENOENT]: 'No such file or directory', [Errno.E2BIG]: 'Argument list too long',
    [Errno.EBADF]: 'Bad file descriptor', [Errno.ENOMEM]: 'Cannot allocate memory', [Errno.EINVAL]: 'Invalid argument',
    [Errno.ENOSPC]: 'No space left on device', [Errno.EOPNOTSUPP]: 'Operation not supported',
  };
  return texts[Math.abs(errno)] ?? `Unknown error ${Math.abs(errno)}`;
}
