// The client side of the control socket (control_socket.ts has the protocol): one connection, requests
// numbered 1, 2, … and answers matched by id. A refused request rejects with RemoteError, which keeps
// the answer's error object (code, errno, message, and ip's status/stdout/stderr).

import { createConnection, type Socket } from 'node:net';
import { WxdpError } from '../errors.js';
import { ControlError, type Answer, type ErrorJson } from './control_socket.js';

/** Where `wxdp up` serves and the client commands connect without --socket: WXDP_SOCKET, else /run/wxdp.sock. */
export function defaultSocketPath(): string {
  return process.env['WXDP_SOCKET'] || '/run/wxdp.sock';
}

/** What the data path answered when it refused a request. */
export class RemoteError extends WxdpError {
  readonly remote: ErrorJson;
  readonly errno: string | null;
  constructor(remote: ErrorJson) {
    super(isCode(remote.code) ? remote.code : 'CONTROL', remote.message);
    this.remote = remote;
    this.errno = remote.errno;
  }
}

function isCode(c: string): c is WxdpError['code'] {
  return /^[A-Z_]+$/.test(c);
}

export class ControlClient {
  private nextId = 1;
  private buf = '';
  private readonly waiting = new Map<number, { resolve: (a: Answer) => void; reject: (e: Error) => void }>();
  private gone: Error | undefined;

  private constructor(
    private readonly sock: Socket,
    readonly path: string,
  ) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => this.data(d));
    sock.on('error', (e: NodeJS.ErrnoException) => this.lost(new ControlError(e.code ?? 'EIO', `${path}: ${e.code ?? e.message}`)));
    sock.on('close', () => this.lost(new ControlError('ECONNRESET', `${path}: the data path closed the connection`)));
  }

  /**
   * Connect to the control socket at `path`. Fails with ControlError naming the errno: ENOENT (no such
   * socket), ECONNREFUSED (a stale socket: nothing serves it), EACCES.
   */
  static connect(path: string = defaultSocketPath()): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const s = createConnection(path);
      s.once('connect', () => {
        s.off('error', onError);
        resolve(new ControlClient(s, path));
      });
      const onError = (e: NodeJS.ErrnoException) => {
        const hint = e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? ' (is `wxdp up` running? give --socket PATH or WXDP_SOCKET)' : '';
        reject(new ControlError(e.code ?? 'EIO', `cannot connect to ${path}: ${e.code ?? e.message}${hint}`));
      };
      s.once('error', onError);
    });
  }

  /** Send a request; resolves with its result, rejects with RemoteError (refused) or ControlError (connection lost). */
  async request<T = unknown>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const a = await this.send({ cmd, args });
    if (!a.ok) throw new RemoteError(a.error);
    return a.result as T;
  }

  /** Send any JSON value as a request line (tests send malformed ones); resolves with the raw answer. */
  send(req: Record<string, unknown>): Promise<Answer> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.sock.write(JSON.stringify({ id, ...req }) + '\n');
    });
  }

  close(): void {
    this.sock.end();
    this.sock.destroy();
  }

  private data(d: string): void {
    this.buf += d;
    for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      let a: Answer;
      try {
        a = JSON.parse(line) as Answer;
      } catch {
        this.lost(new ControlError('EPROTO', `${this.path}: an answer that is not JSON`));
        this.sock.destroy();
        return;
      }
      const w = typeof a.id === 'number' ? this.waiting.get(a.id) : undefined;
      if (w) {
        this.waiting.delete(a.id as number);
        w.resolve(a);
      } else if (!a.ok) {
        // an error the server could not tie to a request (it could not read the line): the oldest waiter's
        const first = this.waiting.entries().next().value;
        if (first) {
          this.waiting.delete(first[0]);
          first[1].resolve(a);
        }
      }
    }
  }

  private lost(e: Error): void {
    this.gone ??= e;
    for (const w of this.waiting.values()) w.reject(this.gone);
    this.waiting.clear();
  }
}
