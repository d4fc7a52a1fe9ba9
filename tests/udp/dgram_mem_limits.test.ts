// dp.udp's first socket reads net.core.{r,w}mem_{default,max} of this machine into the socket table (udp_backend.ts
// hostMemLimits): only where they were not given. Limits the program set on dp.socketTable before its first dp.udp
// socket are the sysctls it chose, as `sysctl -w net.core.rmem_default=…` before a socket() is for Linux: a new
// socket's SO_RCVBUF is rmem_default (sock_init_data), a setsockopt is clamped to rmem_max then doubled
// (sock_setsockopt's SO_RCVBUF) — hand-derived from net/core/sock.c, review rv57.

import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/index.js';
import { stackUnready } from '../net/support.js';

const unready = await stackUnready();

describe.skipIf(unready !== '')('dp.udp keeps the memory limits set on the socket table before its first socket', () => {
  it('a new socket takes the rmem/wmem_default given, a larger buffer the rmem_max given', async () => {
    const dp = await Datapath.create();
    try {
      dp.socketTable.setRmem({ default: 1 << 20, max: 1 << 21 });
      dp.socketTable.setWmem({ default: 3 << 18, max: 1 << 21 });
      dp.ip('link set lo up');
      const s = dp.udp.createSocket('udp4');
      s.bind(0, '127.0.0.1');
      await once(s, 'listening');
      expect(s.getRecvBufferSize()).toBe(1 << 20);
      expect(s.getSendBufferSize()).toBe(3 << 18);
      s.setRecvBufferSize(1 << 23);
      expect(s.getRecvBufferSize()).toBe(2 * (1 << 21));
    } finally {
      dp.udp.closeAll();
    }
  });
});
