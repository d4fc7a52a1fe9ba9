// node:dgram's error objects, as node 20 builds them (lib/internal/errors.js), so a program written for
// node:dgram sees the same thing from wxdp's sockets: the same class (Error / TypeError / RangeError /
// SystemError), `code`, message, and for system errors errno (negative, libuv's), syscall, address, port.
//
//   ERR_* (NodeError)          own `code`; message by node's template; stack header "TypeError [ERR_X]: …"
//   ErrnoException             "<syscall> <CODE>"                 errno, code, syscall
//   ExceptionWithHostPort      "<syscall> <CODE> <addr>:<port>"   errno, code, syscall, address, port (when > 0)
//   SystemError                ERR_SOCKET_BUFFER_SIZE: info {errno, code, message, syscall}

import { type InspectOptions, getSystemErrorMap, getSystemErrorName, inspect } from 'node:util';

type Ctor = ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor;

function nodeError<T extends Error>(Base: Ctor, code: string, message: string): T {
  const e = new Base(message) as T & { code: string };
  e.code = code;
  Object.defineProperty(e, 'toString', {
    value(this: Error) {
      return `${this.name} [${code}]: ${this.message}`;
    },
    enumerable: false,
    configurable: true,
    writable: true,
  });
  const stack = (e.stack ?? '').split('\n');
  // The header node prints for its own errors; the frames below are ours (minus this factory).
  stack.splice(0, 2, `${e.name} [${code}]: ${message}`);
  Object.defineProperty(e, 'stack', { value: stack.join('\n'), enumerable: false, configurable: true, writable: true });
  return e;
}

/** determineSpecificType: how node names a received value in its messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'bigint':
      return `type bigint (${value}n)`;
    case 'number':
      if (value === 0) return 1 / value === -Infinity ? 'type number (-0)' : 'type number (0)';
      if (value !== value) return 'type number (NaN)';
      if (value === Infinity) return 'type number (Infinity)';
      if (value === -Infinity) return 'type number (-Infinity)';
      return `type number (${value})`;
    case 'boolean':
      return value ? 'type boolean (true)' : 'type boolean (false)';
    case 'symbol':
      return `type symbol (${String(value)})`;
    case 'function':
      return `function ${(value as { name: string }).name}`;
    case 'object': {
      const ctor = (value as { constructor?: { name?: string } }).constructor;
      if (ctor && 'name' in ctor) return `an instance of ${ctor.name}`;
      return inspect(value, { depth: -1 });
    }
    case 'string': {
      let s = value;
      if (s.length > 28) s = `${s.slice(0, 25)}...`;
      return s.indexOf("'") === -1 ? `type string ('${s}')` : `type string (${JSON.stringify(s)})`;
    }
    default: {
      let s = inspect(value, { colors: false });
      if (s.length > 28) s = `${s.slice(0, 25)}...`;
      return `type ${typeof value} (${s})`;
    }
  }
}

/** What a buffer argument may be, in node's words. */
export const BUFFER_TYPES = 'of type string or an instance of Buffer, TypedArray, or DataView';

/** ERR_INVALID_ARG_TYPE; `expected` is node's phrase after "must be " ("of type number"). */
export function invalidArgType(name: string, expected: string, actual: unknown): TypeError {
  const what = name.endsWith(' argument') ? name : `"${name}" ${name.includes('.') ? 'property' : 'argument'}`;
  return nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', `The ${what} must be ${expected}. Received ${describeValue(actual)}`);
}

/** ERR_OUT_OF_RANGE. */
export function outOfRange(name: string, range: string, input: unknown): RangeError {
  let received: string;
  if (Number.isInteger(input) && Math.abs(input as number) > 2 ** 32) received = separated(String(input));
  else if (typeof input === 'bigint') received = `${input > 2n ** 32n || input < -(2n ** 32n) ? separated(String(input)) : String(input)}n`;
  else received = inspect(input);
  return nodeError(RangeError, 'ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be ${range}. Received ${received}`);
}

/** addNumericalSeparator: 4294967296 → 4_294_967_296. */
function separated(s: string): string {
  let res = '';
  let i = s.length;
  const start = s[0] === '-' ? 1 : 0;
  for (; i >= start + 4; i -= 3) res = `_${s.slice(i - 3, i)}${res}`;
  return `${s.slice(0, i)}${res}`;
}

export const errSocketBadType = (): TypeError => nodeError(TypeError, 'ERR_SOCKET_BAD_TYPE', 'Bad socket type specified. Valid types are: udp4, udp6');
export const errAlreadyBound = (): Error => nodeError(Error, 'ERR_SOCKET_ALREADY_BOUND', 'Socket is already bound');
export const errIsConnected = (): Error => nodeError(Error, 'ERR_SOCKET_DGRAM_IS_CONNECTED', 'Already connected');
export const errNotConnected = (): Error => nodeError(Error, 'ERR_SOCKET_DGRAM_NOT_CONNECTED', 'Not connected');
export const errNotRunning = (): Error => nodeError(Error, 'ERR_SOCKET_DGRAM_NOT_RUNNING', 'Not running');
export const errBadBufferSize = (): TypeError => nodeError(TypeError, 'ERR_SOCKET_BAD_BUFFER_SIZE', 'Buffer size must be a positive integer');
export const errBufferOutOfBounds = (name: string): RangeError => nodeError(RangeError, 'ERR_BUFFER_OUT_OF_BOUNDS', `"${name}" is outside of buffer bounds`);
export const errMissingArgs = (name: string): TypeError => nodeError(TypeError, 'ERR_MISSING_ARGS', `The "${name}" argument must be specified`);
export const errInvalidFdType = (type: string): TypeError => nodeError(TypeError, 'ERR_INVALID_FD_TYPE', `Unsupported fd type: ${type}`);

/** ERR_SOCKET_BAD_PORT. */
export function errBadPort(name: string, port: unknown, allowZero: boolean): RangeError {
  return nodeError(RangeError, 'ERR_SOCKET_BAD_PORT', `${name} should be ${allowZero ? '>=' : '>'} 0 and < 65536. Received ${describeValue(port)}.`);
}

/** validatePort: a number or numeric string in 0..65535 (1.. without allowZero); returns it as a number. */
export function validatePort(port: unknown, name = 'Port', allowZero = true): number {
  if (
    (typeof port !== 'number' && typeof port !== 'string') ||
    (typeof port === 'string' && port.trim().length === 0) ||
    +port !== +port >>> 0 ||
    +port > 0xffff ||
    (+port === 0 && !allowZero)
  ) {
    throw errBadPort(name, port, allowZero);
  }
  return +port | 0;
}

export function validateString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
}

export function validateNumber(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
}

export function validateUint32(value: unknown, name: string): void {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < 0 || value > 4_294_967_295) throw outOfRange(name, '>= 0 && <= 4294967295', value);
}

/** libuv's errno for a positive Linux errno (libuv uses -errno on Linux). */
export const uvErr = (errno: number): number => -Math.abs(errno);

/** ErrnoException: "<syscall> <CODE>[ <original>]". */
export function errnoException(err: number, syscall: string, original?: string): Error {
  const code = getSystemErrorName(err);
  const e = new Error(original ? `${syscall} ${code} ${original}` : `${syscall} ${code}`) as Error & { errno: number; code: string; syscall: string };
  e.errno = err;
  e.code = code;
  e.syscall = syscall;
  return e;
}

/** ExceptionWithHostPort: "<syscall> <CODE> <address>:<port>" (":<port>" only when port > 0). */
export function exceptionWithHostPort(err: number, syscall: string, address: string | undefined, port?: number): Error {
  const code = getSystemErrorName(err);
  let details = '';
  if (port && port > 0) details = ` ${address}:${port}`;
  else if (address) details = ` ${address}`;
  const e = new Error(`${syscall} ${code}${details}`) as Error & { errno: number; code: string; syscall: string; address?: string; port?: number };
  e.errno = err;
  e.code = code;
  e.syscall = syscall;
  e.address = address;
  if (port) e.port = port;
  return e;
}

// node's system errors are instances of a NodeError class derived from SystemError (e.constructor.name),
// which shows the errno / syscall getters' values when inspected (lib/internal/errors.js).
class SystemError extends Error {
  [Symbol.for('nodejs.util.inspect.custom')](_depth: number, ctx: InspectOptions): string {
    return inspect(this, { ...ctx, getters: true, customInspect: false });
  }
}
class NodeError extends SystemError {}

export interface SystemErrorInfo {
  errno: number;
  code: string;
  message: string;
  syscall: string;
}

/** ERR_SOCKET_BUFFER_SIZE, a SystemError: "Could not get or set buffer size: <syscall> returned <CODE> (<text>)". */
export function errSocketBufferSize(err: number, syscall: string): Error {
  const [code, text] = getSystemErrorMap().get(err) ?? ['UNKNOWN', 'unknown error'];
  const info: SystemErrorInfo = { errno: err, code, message: text, syscall };
  const message = `Could not get or set buffer size: ${syscall} returned ${code} (${text})`;
  const e = nodeError<Error>(NodeError as unknown as ErrorConstructor, 'ERR_SOCKET_BUFFER_SIZE', message);
  Object.defineProperty(e, 'name', { value: 'SystemError', enumerable: false, writable: true, configurable: true });
  const stack = (e.stack ?? '').split('\n');
  stack[0] = `SystemError [ERR_SOCKET_BUFFER_SIZE]: ${message}`;
  Object.defineProperty(e, 'stack', { value: stack.join('\n'), enumerable: false, configurable: true, writable: true });
  Object.defineProperty(e, 'info', { value: info, enumerable: true, configurable: true, writable: false });
  for (const k of ['errno', 'syscall'] as const) {
    Object.defineProperty(e, k, {
      get: () => info[k],
      set: (v: never) => {
        info[k] = v;
      },
      enumerable: true,
      configurable: true,
    });
  }
  return e;
}
