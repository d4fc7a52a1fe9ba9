// The files a command reads and writes, each failure one line naming the file and its errno
// ("cannot write 'out.pcapng': EACCES"). Outputs are opened (created, truncated) when the command
// line has been read, before any loading or replay, so a path that cannot be written costs nothing.

import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

/** A file the command could not read or write; main prints it as one line, code IO, exit 1. */
export class FileError extends Error {
  readonly code = 'IO';
  constructor(
    readonly verb: 'read' | 'write',
    readonly path: string,
    readonly errno: string,
    readonly what?: string,
  ) {
    super(`${what ? `${what}: ` : ''}cannot ${verb} '${path}': ${errno}`);
  }
}

const errnoOf = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

export function readInput(path: string, what?: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path === '-' ? 0 : path));
  } catch (e) {
    throw new FileError('read', path, errnoOf(e), what);
  }
}

export interface OutputFile {
  readonly path: string;
  /** Write everything and close. */
  write(data: Uint8Array): void;
}

/** Open `path` for writing now ("-" is stdout through `stdout`); the data comes later. */
export function openOutput(path: string, what: string | undefined, stdout?: (data: Uint8Array) => void): OutputFile {
  if (path === '-' && stdout) return { path, write: stdout };
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (e) {
    throw new FileError('write', path, errnoOf(e), what);
  }
  return {
    path,
    write(data: Uint8Array): void {
      try {
        for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
      } catch (e) {
        throw new FileError('write', path, errnoOf(e), what);
      } finally {
        closeSync(fd);
      }
    },
  };
}
