// How many datagrams a socket that is not read holds before RcvbufErrors, against the kernel. In a
// namespace pair this file creates (wx-udpgaps-…), a Python socket in P sends 400 datagrams of one size
// over a veth to a Python socket in H that reads nothing (default SO_RCVBUF, or one set); then H reads
// what was queued. wxdp's socket with the same SO_RCVBUF gets the same datagrams as frames. The counts
// must be equal: both charge each datagram the truesize of the Linux sender's skb, which veth hands over
// (sock.ts skTruesize: 832 for up to 225 bytes of IP datagram, 1,280, 2,304 up to the MTU).

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { useNamespaces } from '../support/netns.js';
import { Fixture, stackUnready, eth, ipv4, udp4 } from '../net/support.js';
import { H_MAC, LINKS, NEIGH, R_MAC } from './support.js';

const nsa = useNamespaces('udpgaps');
const unready = await stackUnready();
const py = spawnSync('/usr/bin/python3', ['-c', 'import socket']).status === 0;
const skip = !nsa.available.ok || unready !== '' || !py;
if (!py) it.skip('python3 is missing', () => {});

const COUNT = 400;
/** [payload bytes, SO_RCVBUF set (0: the default)] */
const CASES: Array<[number, number]> = [[64, 0], [200, 0], [1000, 0], [1472, 0], [64, 4096], [64, 50000], [700, 20000]];

const CODE = `
import ctypes, json, os, socket, subprocess, sys, time
cfg = json.loads(sys.argv[1])
def snmp():
    l = open('/proc/net/snmp').read().splitlines()
    for a, b in zip(l[0::2], l[1::2]):
        if a.startswith('Udp:'):
            return dict(zip(a.split()[1:], map(int, b.split()[1:])))
out = []
for size, rcvbuf in cfg['cases']:
    r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if rcvbuf:
        r.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    r.bind(('192.0.2.1', 7400))
    before = snmp()
    code = "import socket\\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\\ns.bind(('192.0.2.2', 7401))\\n"
    code += "for i in range(%d): s.sendto(bytes(%d), ('192.0.2.1', 7400))" % (cfg['count'], size)
    subprocess.run(['ip', 'netns', 'exec', cfg['probe'], 'python3', '-c', code], check=True, timeout=30)
    time.sleep(0.2)
    r.setblocking(False)
    n = 0
    while True:
        try:
            r.recv(70000)
            n += 1
        except BlockingIOError:
            break
    after = snmp()
    out.append([r.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF), n, after['RcvbufErrors'] - before['RcvbufErrors']])
    r.close()
print(json.dumps(out))
`;

describe.skipIf(skip)('datagrams a socket holds before RcvbufErrors, against the kernel', () => {
  it('the same count for every size and SO_RCVBUF', async () => {
    const h = nsa.set.create();
    const p = nsa.set.create();
    nsa.set.veth({ ns: h, name: 'eth0', mac: R_MAC }, { ns: p, name: 'eth0', mac: H_MAC });
    h.batch('addr add 192.0.2.1/24 dev eth0\n');
    p.batch('addr add 192.0.2.2/24 dev eth0\n');
    const r = h.spawn(['/usr/bin/python3', '-c', CODE, JSON.stringify({ probe: p.name, count: COUNT, cases: CASES })], { timeoutMs: 120_000 });
    if (r.status !== 0) throw new Error(`python: ${r.stderr}`);
    const kernel = JSON.parse(r.stdout) as Array<[number, number, number]>;
    const ours = [];
    for (const [size, rcvbuf] of CASES) {
      const fx = await Fixture.create(LINKS, [], NEIGH);
      const t = fx.dp.socketTable;
      const id = t.create({ family: 'inet' });
      if (rcvbuf) t.setOption(id, 'SO_RCVBUF', rcvbuf);
      t.bind(id, '192.0.2.1', 7400);
      const payload = new Uint8Array(size);
      for (let i = 0; i < COUNT; i++) {
        fx.rx('eth0', eth({ dst: R_MAC, src: H_MAC, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17, id: i }, udp4('192.0.2.2', '192.0.2.1', 7401, 7400, payload))));
      }
      let n = 0;
      while (t.recv(id)) n++;
      ours.push([t.getOption(id, 'SO_RCVBUF'), n, fx.mib()['Udp:RcvbufErrors'] ?? 0]);
    }
    // not vacuous: every case overflowed on the kernel's side
    for (const [, n, drops] of kernel) expect(n + drops).toBe(COUNT), expect(drops).toBeGreaterThan(0);
    expect(ours).toEqual(kernel);
    expect(kernel[0]).toEqual([212992, 256, COUNT - 256]);
  }, 180_000);
});
