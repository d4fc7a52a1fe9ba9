// XDP_REDIRECT through the data path: bpf_redirect to another device's TX ring, devmap and
// devmap_hash (programs/xdp_redirect, verdicts as the kernel recorded them), a devmap entry's own
// program (egress_ifindex set, anything but XDP_PASS drops), xskmap to an AF_XDP-style socket and back,
// and the counted drops: a missing device, a broadcast (not in this data path), a veth loop.

import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { codec, createMap, MapType } from '../../src/maps/index.js';
import { corpus, frame, hex, recorded, root, tagOf, tagVerdicts } from './support.js';

const u32 = (v: number) => codec.u32.encode(v);

describe.each(['table', 'burst'] as const)('bpf_redirect (%s dispatch)', (dispatch) => {
  it('moves the frame to the target device TX ring (same queue), untouched', async () => {
    const dp = await Datapath.create({ dispatch });
    const eth0 = dp.addDevice({ name: 'eth0', queues: 2 });
    const eth1 = dp.addDevice({ name: 'eth1', queues: 2 });
    eth0.attachXdp(await dp.loadInsns(assemble(`r1 = ${eth1.ifindex}\nr2 = 0\ncall 23\nexit`)));
    const f0 = frame(60, 1);
    const f1 = frame(100, 2);
    eth0.inject(f0, { queue: 0 });
    eth0.inject(f1, { queue: 1 });
    expect(eth0.poll()).toBe(2);
    expect(eth0.readTx()).toEqual([]);
    const out = eth1.readTx();
    expect(out.map((o) => [o.queue, hex(o.data)])).toEqual([[0, hex(f0)], [1, hex(f1)]]);
    expect(eth0.stats().verdicts.XDP_REDIRECT).toBe(2);
    expect(eth1.stats().txPackets).toBe(2);
    expect(eth1.stats().txBytes).toBe(160);
  });

  it('frames redirected, sent back (XDP_TX), dropped and passed in one poll reach each TX ring in their order', async () => {
    const dp = await Datapath.create({ dispatch });
    const eth0 = dp.addDevice({ name: 'eth0' });
    const eth1 = dp.addDevice({ name: 'eth1' });
    // by the tag's low two bits: 0 XDP_TX, 1 bpf_redirect to eth0 itself, 2 to eth1, 3 XDP_PASS
    const prog = assemble(tagVerdicts(14, 18, eth0.ifindex, eth1.ifindex));
    eth0.attachXdp(await dp.loadInsns(prog));
    // runs of each kind, then alternating
    const tags = [1, 5, 9, 0, 4, 2, 6, 10, 3, 13, 8, 17, 12, 14, 21, 7, 25, 16, 29, 18, 20, 33];
    expect(eth0.injectBatch(tags.map((t) => frame(60 + (t % 7), t)))).toBe(tags.length);
    expect(eth0.poll()).toBe(tags.length);
    expect(eth0.readTx().map((o) => tagOf(o.data))).toEqual(tags.filter((t) => t % 4 <= 1));
    expect(eth1.readTx().map((o) => tagOf(o.data))).toEqual(tags.filter((t) => t % 4 === 2));
    expect(eth0.readHost().map((o) => tagOf(o.data))).toEqual(tags.filter((t) => t % 4 === 3));
    const len = (ts: number[]) => ts.reduce((a, t) => a + 60 + (t % 7), 0);
    expect(eth0.stats().txPackets).toBe(tags.filter((t) => t % 4 <= 1).length);
    expect(eth0.stats().txBytes).toBe(len(tags.filter((t) => t % 4 <= 1)));
    expect(eth1.stats().txBytes).toBe(len(tags.filter((t) => t % 4 === 2)));
  });

  it('a poll whose every frame goes to one device: its TX ring takes them in order up to its room (TX_RING_FULL) and MTU (PKT_TOO_BIG)', async () => {
    // as one redirect at a time would: the whole-burst path (napi.ts redirectWhole) must not differ
    const dp = await Datapath.create({ dispatch });
    const eth0 = dp.addDevice({ name: 'eth0' });
    const eth1 = dp.addDevice({ name: 'eth1', ringSize: 8, mtu: 576 });
    eth0.attachXdp(await dp.loadInsns(assemble(`r1 = ${eth1.ifindex}\nr2 = 0\ncall 23\nexit`)));
    const tags = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    const len = (t: number) => (t === 3 || t === 7 ? 1000 : 60 + t); // 1000 > 576 + 18
    expect(eth0.injectBatch(tags.map((t) => frame(len(t), t)))).toBe(12);
    expect(eth0.poll()).toBe(12);
    // ten fit the MTU; the ring of 8 takes the first eight of them, the last two are TX_RING_FULL
    expect(eth1.readTx().map((o) => tagOf(o.data))).toEqual([0, 1, 2, 4, 5, 6, 8, 9]);
    expect(eth0.stats().verdicts.XDP_REDIRECT).toBe(12);
    expect(eth0.stats().rxBytes).toBe(tags.reduce((a, t) => a + len(t), 0));
    expect(eth0.stats().drops.PKT_TOO_BIG).toBe(2);
    expect(eth1.stats().drops.TX_RING_FULL).toBe(2);
    expect(eth1.stats().txPackets).toBe(8);
    expect(eth1.stats().txBytes).toBe(8 * 60 + 0 + 1 + 2 + 4 + 5 + 6 + 8 + 9);
    // the dropped frames went back to eth0's fill ring: every frame of the pool is still somewhere
    expect(eth0.injectBatch(tags.map((t) => frame(60, t)))).toBe(12);
  });

  it('a poll whose every frame is XDP_TX: the TX ring takes them in order up to its room (TX_RING_FULL)', async () => {
    // as one xmit at a time would: the whole-burst path (napi.ts txWhole) must not differ
    const dp = await Datapath.create({ dispatch });
    const eth0 = dp.addDevice({ name: 'eth0', ringSize: 8 });
    eth0.attachXdp(await dp.loadInsns(assemble('r0 = 3\nexit')));
    const a = [0, 1, 2, 3, 4, 5];
    const b = [6, 7, 8, 9];
    expect(eth0.injectBatch(a.map((t) => frame(60 + t, t)))).toBe(6);
    expect(eth0.poll()).toBe(6);
    expect(eth0.injectBatch(b.map((t) => frame(60 + t, t)))).toBe(4);
    expect(eth0.poll()).toBe(4);
    // the ring of 8 takes the second poll's first two, the last two are TX_RING_FULL
    expect(eth0.readTx().map((o) => tagOf(o.data))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const st = eth0.stats();
    expect(st.verdicts.XDP_TX).toBe(10);
    expect(st.rxBytes).toBe(10 * 60 + 45);
    expect(st.drops.TX_RING_FULL).toBe(2);
    expect(st.txPackets).toBe(8);
    expect(st.txBytes).toBe(8 * 60 + 28);
    // the dropped frames went back to the fill ring
    expect(eth0.injectBatch(b.map((t) => frame(60, t)))).toBe(4);
  });

  it('takes the low 32 bits of the ifindex; any flag is XDP_ABORTED', async () => {
    const dp = await Datapath.create({ dispatch });
    const eth0 = dp.addDevice({ name: 'eth0' });
    const eth1 = dp.addDevice({ name: 'eth1' });
    eth0.attachXdp(await dp.loadInsns(assemble(`r1 = ${2 ** 32 + eth1.ifindex} ll\nr2 = 0\ncall 23\nexit`)));
    eth0.inject(frame(60, 1));
    eth0.poll();
    expect(eth1.readTx().map((o) => tagOf(o.data))).toEqual([1]);
    for (const flags of ['1', '0x100000000 ll']) {
      eth0.attachXdp(await dp.loadInsns(assemble(`r1 = ${eth1.ifindex}\nr2 = ${flags}\ncall 23\nexit`)));
      eth0.inject(frame(60, 2));
      eth0.poll();
    }
    expect(eth1.readTx()).toEqual([]);
    expect(eth0.stats().verdicts.XDP_ABORTED).toBe(2);
    expect(eth0.stats().drops.XDP_ABORTED).toBe(2);
  });

  it('to an ifindex that is no device: a counted drop (REDIRECT_NO_DEVICE), the frame back on the fill ring', async () => {
    const dp = await Datapath.create({ dispatch });
    const eth0 = dp.addDevice({ name: 'eth0', ringSize: 64 });
    eth0.attachXdp(await dp.loadInsns(assemble('r1 = 42\nr2 = 0\ncall 23\nexit')));
    eth0.injectBatch([frame(60), frame(60), frame(60)]);
    eth0.poll();
    const s = eth0.stats();
    expect(s.verdicts.XDP_REDIRECT).toBe(3);
    expect(s.drops.REDIRECT_NO_DEVICE).toBe(3);
    expect(eth0.rings().fill.available()).toBe(64);
  });

  it('a loop between veth peers ends after MAX_REDIRECT_HOPS crossings, counted as REDIRECT_LOOP', async () => {
    const dp = await Datapath.create({ dispatch });
    const a = dp.addDevice({ name: 'veth0' });
    const b = dp.addDevice({ name: 'veth1' });
    dp.linkPeers(a, b);
    // Both bounce every frame back out (XDP_TX): what veth0 sends, veth1 receives, and back.
    const bounce = await dp.loadInsns(assemble('r0 = 3\nexit'));
    a.attachXdp(bounce);
    b.attachXdp(bounce);
    a.inject(frame(60));
    let processed = 0;
    for (let n = dp.poll(); n > 0; n = dp.poll()) processed += n;
    // Received 9 times: injected, then crossings 1..8 (a→b, b→a, ...); the 9th crossing is the loop drop.
    expect(processed).toBe(9);
    expect(a.stats().verdicts.XDP_TX + b.stats().verdicts.XDP_TX).toBe(9);
    expect(a.stats().drops.REDIRECT_LOOP + b.stats().drops.REDIRECT_LOOP).toBe(1);
    expect(a.readTx().length + b.readTx().length).toBe(0);
  });
});

describe.each(['table', 'burst'] as const)('devmap (%s dispatch)', (dispatch) => {
  it('programs/xdp_redirect: the kernel\'s verdicts, and each redirected frame where the program points it', async () => {
    const dp = await Datapath.create({ dispatch });
    const eth0 = dp.addDevice({ name: 'eth0', ringSize: 128 });
    const eth1 = dp.addDevice({ name: 'eth1', ringSize: 128 });
    const obj = await dp.loadObject(`${root}programs/xdp_redirect.o`);
    // The recording's setup, with eth1 in place of lo: tx_port[2], tx_port_vlan[100], tx_port_vlan[42].
    obj.map('tx_port').update(u32(2), u32(eth1.ifindex));
    obj.map('tx_port_vlan').update(u32(100), u32(eth1.ifindex));
    obj.map('tx_port_vlan').update(u32(42), u32(eth1.ifindex));
    eth0.attachXdp(obj.program('xdp_redirect'));
    const rec = new Map(recorded('xdp_redirect').map((r) => [r.packet, r]));
    const want = { XDP_ABORTED: 0, XDP_DROP: 0, XDP_PASS: 0, XDP_TX: 0, XDP_REDIRECT: 0, XDP_INVALID: 0 };
    let broadcasts = 0;
    for (const p of corpus) {
      const action = rec.get(p.name)!.action as keyof typeof want;
      want[action]++;
      eth0.inject(p.data);
      eth0.poll();
      const toEth1 = eth1.readTx();
      const back = eth0.readTx();
      eth0.readHost();
      if (action !== 'XDP_REDIRECT') {
        expect(toEth1.length, p.name).toBe(0);
        continue;
      }
      // The program's order: VLAN tags first, then broadcast, IPv4, IPv6, else back out of eth0.
      const type = (p.data[12]! << 8) | p.data[13]!;
      const broadcast = p.data.subarray(0, 6).every((b) => b === 0xff);
      if (type === 0x8100 || type === 0x88a8 || (!broadcast && (type === 0x0800 || type === 0x86dd))) {
        expect(toEth1.map((o) => hex(o.data)), p.name).toEqual([hex(p.data)]);
      } else if (broadcast) {
        // BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS over tx_port: a copy to each entry but eth0 (only eth1)
        broadcasts++;
        expect([toEth1.map((o) => hex(o.data)), back.length], p.name).toEqual([[hex(p.data)], 0]);
      } else {
        expect(back.map((o) => hex(o.data)), p.name).toEqual([hex(p.data)]);
      }
    }
    expect(eth0.stats().verdicts).toEqual(want);
    expect(broadcasts).toBeGreaterThan(0);
    expect(Object.values(eth0.stats().drops).reduce((a, b) => a + b, 0)).toBe(want.XDP_DROP);
  });

  it('BPF_F_BROADCAST copies the frame to every entry\'s device; BPF_F_EXCLUDE_INGRESS leaves the ingress out', async () => {
    const dp = await Datapath.create({ dispatch });
    const [eth0, eth1, eth2] = ['eth0', 'eth1', 'eth2'].map((name) => dp.addDevice({ name }));
    const all = createMap(dp.fastPath, { name: 'all', type: MapType.DEVMAP_HASH, keySize: 4, valueSize: 4, maxEntries: 8 });
    for (const [k, d] of [[10, eth0!], [20, eth1!], [30, eth2!], [40, eth2!]] as const) all.update(u32(k), u32(d.ifindex));
    all.update(u32(50), u32(60)); // no such device: skipped
    // flags: byte 14 of the frame (frame() puts the tag there) << 3: tag 1 → BROADCAST, 3 → | EXCLUDE_INGRESS
    eth0.attachXdp(
      await dp.loadInsns(assemble(`r3 = *(u32 *)(r1 + 0)\nr3 = *(u8 *)(r3 + 14)\nr3 <<= 3\nr1 = ${all.address} ll\nr2 = 0\ncall 51\nexit`), { verify: false }),
    );
    const before = dp.freeFrames();
    eth0.inject(frame(80, 1));
    eth0.poll();
    expect([eth0, eth1, eth2].map((d) => d!.readTx().map((o) => hex(o.data)))).toEqual([[hex(frame(80, 1))], [hex(frame(80, 1))], [hex(frame(80, 1)), hex(frame(80, 1))]]);
    eth0.inject(frame(80, 3));
    eth0.poll();
    expect([eth0, eth1, eth2].map((d) => d!.readTx().length)).toEqual([0, 1, 2]);
    expect(eth0.stats().verdicts.XDP_REDIRECT).toBe(2);
    // Every copy came from the pool and went back to it (via completion and the fill rings).
    dp.poll();
    expect(dp.freeFrames() + [eth0, eth1, eth2].reduce((n, d) => n + d!.rings().fill.available(), 0)).toBe(before + 3 * 256);
  });

  it('runs the entry\'s own program with egress_ifindex set; anything but XDP_PASS drops (DEVMAP_PROG)', async () => {
    const dp = await Datapath.create({ dispatch });
    const eth0 = dp.addDevice({ name: 'eth0' });
    const eth1 = dp.addDevice({ name: 'eth1' });
    const eth2 = dp.addDevice({ name: 'eth2' });
    const devmap = createMap(dp.fastPath, { name: 'ports', type: MapType.DEVMAP, keySize: 4, valueSize: 8, maxEntries: 4 });
    // The second program writes egress_ifindex into the first byte of the frame and passes it.
    const stamp = await dp.loadInsns(
      assemble('r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 14\nif r4 > r3 goto +4\nr5 = *(u32 *)(r1 + 20)\n*(u8 *)(r2 + 0) = r5\nr0 = 2\nexit\nr0 = 1\nexit'),
      { verify: false, attachType: 'xdp_devmap' },
    );
    const drop = await dp.loadInsns(assemble('r0 = 1\nexit'), { attachType: 'xdp_devmap' });
    devmap.update(u32(0), Uint8Array.of(...u32(eth1.ifindex), ...u32(stamp.fd)));
    devmap.update(u32(1), Uint8Array.of(...u32(eth2.ifindex), ...u32(drop.fd)));
    devmap.update(u32(2), Uint8Array.of(...u32(eth2.ifindex), ...u32(0)));
    // key = the frame's byte 14 (frame() puts the tag there), fallback XDP_PASS.
    eth0.attachXdp(
      await dp.loadInsns(
        assemble(`r2 = *(u32 *)(r1 + 0)\nr2 = *(u8 *)(r2 + 14)\nr1 = ${devmap.address} ll\nr3 = 2\ncall 51\nexit`),
        { verify: false },
      ),
    );
    eth0.injectBatch([frame(60, 0), frame(60, 1), frame(60, 2), frame(60, 3)]);
    eth0.poll();
    const s = eth0.stats();
    expect(s.verdicts).toMatchObject({ XDP_REDIRECT: 3, XDP_PASS: 1 });
    expect(s.drops.DEVMAP_PROG).toBe(1);
    const to1 = eth1.readTx();
    expect(to1.map((o) => [o.data[0], tagOf(o.data)])).toEqual([[eth1.ifindex, 0]]);
    expect(eth2.readTx().map((o) => [o.data[0], tagOf(o.data)])).toEqual([[2, 2]]);
    expect(eth0.readHost().map((o) => tagOf(o.data))).toEqual([3]);
  });
});

describe.each(['table', 'burst'] as const)('xskmap and XskSocket (%s dispatch)', (dispatch) => {
  it('round trip: frames redirected to the socket bound to the queue, sent back out of the device', async () => {
    const dp = await Datapath.create({ dispatch });
    const eth0 = dp.addDevice({ name: 'eth0', queues: 2 });
    const xsks = createMap(dp.fastPath, { name: 'xsks', type: MapType.XSKMAP, keySize: 4, valueSize: 4, maxEntries: 4 });
    const sock = dp.createXskSocket({ device: eth0, queue: 1, frames: 8, ringSize: 8 });
    xsks.update(u32(1), u32(sock.id));
    // bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS): queue 0 has no socket and passes.
    eth0.attachXdp(await dp.loadInsns(assemble(`r2 = *(u32 *)(r1 + 16)\nr1 = ${xsks.address} ll\nr3 = 2\ncall 51\nexit`), { verify: false }));
    // No chunks on the fill ring yet: the socket cannot take the frame.
    eth0.inject(frame(60, 1), { queue: 1 });
    eth0.poll();
    expect(eth0.stats().drops.XSK_NO_BUFFER).toBe(1);
    expect(sock.rxDropped).toBe(1);
    expect(sock.fillAll()).toBe(8);
    const sent = [frame(60, 10), frame(200, 11), frame(1514, 12)];
    eth0.injectBatch(sent, { queue: 1 });
    eth0.inject(frame(60, 99), { queue: 0 });
    eth0.poll();
    expect(eth0.readHost().map((o) => tagOf(o.data))).toEqual([99]);
    const got = sock.receive();
    expect(got.map((g) => hex(g.data))).toEqual(sent.map(hex));
    expect(sock.freeCount).toBe(3);
    // Echo them back: out of eth0 queue 1's TX ring; the chunks come back through the completion ring.
    expect(sock.send(got.map((g) => g.data))).toBe(3);
    expect(eth0.readTx().map((o) => [o.queue, hex(o.data)])).toEqual(sent.map((f) => [1, hex(f)]));
    expect(sock.freeCount).toBe(3);
    expect(eth0.stats().queues[1]!.txPackets).toBe(3);
  });

  it("a lookup finds the socket: its queue_id at offset 0 (struct bpf_xdp_sock); an empty slot or a closed socket is NULL", async () => {
    // programs/verifier/accept/xskmap_sock_queue_id: XDP_DROP when xsks[rx_queue_index] is a socket
    // whose queue_id is rx_queue_index, else XDP_PASS (the kernel accepted it; it reads only queue_id)
    const dp = await Datapath.create({ dispatch });
    const eth0 = dp.addDevice({ name: 'eth0', queues: 3 });
    const obj = await dp.loadObject('programs/verifier/accept/xskmap_sock_queue_id.o');
    const xsks = obj.map('xsks');
    // socket ids 0, 1, 2 on queues 2, 1, 0: an id is never its queue but for the middle one
    const socks = [2, 1, 0].map((queue) => dp.createXskSocket({ device: eth0, queue }));
    expect(socks.map((x) => x.id)).toEqual([0, 1, 2]);
    xsks.update(u32(2), u32(socks[0]!.id)); // queue 2's socket in slot 2: found, queue_id 2
    xsks.update(u32(0), u32(socks[0]!.id)); // slot 0 holds queue 2's socket: queue_id 2 is not 0
    eth0.attachXdp(obj.program('xskmap_sock_queue_id'));
    const verdicts = (): number[] =>
      [0, 1, 2].map((queue) => {
        const before = eth0.stats().verdicts.XDP_DROP ?? 0;
        eth0.inject(frame(60, queue), { queue });
        eth0.poll();
        return (eth0.stats().verdicts.XDP_DROP ?? 0) - before;
      });
    expect(verdicts()).toEqual([0, 0, 1]); // slot 1 empty: NULL
    xsks.update(u32(1), u32(socks[1]!.id));
    expect(verdicts()).toEqual([0, 1, 1]);
    socks[0]!.close(); // xsk_release takes it out of its maps: slots 0 and 2 find nothing
    expect(verdicts()).toEqual([0, 1, 0]);
  });

  it('a socket bound to another queue than the frame\'s, or an empty slot: XSK_INVALID drops', async () => {
    const dp = await Datapath.create({ dispatch });
    const eth0 = dp.addDevice({ name: 'eth0', queues: 2 });
    const xsks = createMap(dp.fastPath, { name: 'xsks', type: MapType.XSKMAP, keySize: 4, valueSize: 4, maxEntries: 4 });
    const sock = dp.createXskSocket({ device: eth0, queue: 1 });
    sock.fillAll();
    xsks.update(u32(0), u32(sock.id));
    // Always slot 0 (bound to queue 1), whatever the queue.
    eth0.attachXdp(await dp.loadInsns(assemble(`r1 = ${xsks.address} ll\nr2 = 0\nr3 = 1\ncall 51\nexit`), { verify: false }));
    eth0.inject(frame(60), { queue: 0 });
    eth0.inject(frame(60), { queue: 1 });
    eth0.poll();
    expect(eth0.stats().drops.XSK_INVALID).toBe(1);
    expect(sock.receive().length).toBe(1);
    sock.close();
    eth0.inject(frame(60), { queue: 1 });
    eth0.poll();
    expect(eth0.stats().drops.XSK_INVALID).toBe(2);
  });
});

describe("a devmap's or cpumap's bpf_prog.fd (rv54)", () => {
  // The kernel's __dev_map_alloc_node / __cpu_map_load_bpf_program take the fd through bpf_prog_get_type_dev: a
  // number that is no program is refused (EBADF), the entry unchanged. wxdp stored any number and the fast path
  // called that table slot for the next frame redirected there: RuntimeError 'table index is out of bounds' from poll.
  it.each([
    ['devmap', MapType.DEVMAP],
    ['devmap_hash', MapType.DEVMAP_HASH],
    ['cpumap', MapType.CPUMAP],
  ] as const)('%s: a number that is no XDP program is refused (EBADF); frames redirected to the entry still go', async (_n, type) => {
    const dp = await Datapath.create();
    try {
      const eth0 = dp.addDevice({ name: 'eth0' });
      const eth1 = dp.addDevice({ name: 'eth1' });
      const m = createMap(dp.fastPath, { name: 'to', type, keySize: 4, valueSize: 8, maxEntries: 4 });
      const first = type === MapType.CPUMAP ? 64 : eth1.ifindex; // qsize / ifindex
      for (const fd of [7, 99999, 0x7fffffff]) expect(() => m.update(u32(0), Uint8Array.of(...u32(first), ...u32(fd))), `fd ${fd}`).toThrow(/EBADF/);
      // no program (fd 0, -1), and a program's fd: taken
      m.update(u32(0), Uint8Array.of(...u32(first), ...u32(0xffffffff)));
      // a program of the entry's kind only (rv55): a SEC("xdp") one, or the other map's kind, is refused as 6.18.44
      // refuses it (a devmap EINVAL, a cpumap ENOMEM: tests/maps/entry_prog_kernel.test.ts)
      const kind = type === MapType.CPUMAP ? 'xdp_cpumap' : 'xdp_devmap';
      const refused = type === MapType.CPUMAP ? /ENOMEM/ : /EINVAL/;
      for (const other of [await dp.loadInsns(assemble('r0 = 2\nexit')), await dp.loadInsns(assemble('r0 = 2\nexit'), { attachType: kind === 'xdp_cpumap' ? 'xdp_devmap' : 'xdp_cpumap' })]) {
        expect(() => m.update(u32(0), Uint8Array.of(...u32(first), ...u32(other.fd)))).toThrow(refused);
      }
      const pass = await dp.loadInsns(assemble('r0 = 2\nexit'), { attachType: kind });
      m.update(u32(0), Uint8Array.of(...u32(first), ...u32(pass.fd)));
      eth0.attachXdp(await dp.loadInsns(assemble(`r1 = ${m.address} ll\nr2 = 0\nr3 = 0\ncall 51\nexit`), { verify: false }));
      eth0.inject(frame(60, 0));
      eth0.poll();
      expect(eth0.stats().verdicts.XDP_REDIRECT).toBe(1);
    } finally {
      await dp.close();
    }
  });
});
