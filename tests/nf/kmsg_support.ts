// The kernel log's records as the nft log tests read them: /dev/kmsg from a sequence number on.

import { closeSync, constants, openSync, readSync } from 'node:fs';

export interface KmsgRecord {
  seq: number;
  line: string;
}

/** /dev/kmsg's records from `after` on: "PRI,SEQ,TS,FLAGS;TEXT" with \xNN escapes, as `<level>TEXT`. */
export function kmsg(after = -1): KmsgRecord[] {
  const fd = openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK);
  const out: KmsgRecord[] = [];
  const buf = Buffer.alloc(8192);
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') continue; // a record overwritten while we read: go on with the next
        if (code === 'EAGAIN') break;
        throw e;
      }
      const rec = buf.toString('latin1', 0, n);
      const semi = rec.indexOf(';');
      const [pri, seq] = rec.slice(0, semi).split(',').map(Number);
      if (seq! <= after) continue;
      const text = rec.slice(semi + 1, rec.indexOf('\n', semi)).replace(/\\x([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
      out.push({ seq: seq!, line: `<${pri! & 7}>${text}` });
    }
  } finally {
    closeSync(fd);
  }
  return out;
}
