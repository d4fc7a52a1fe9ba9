// Sockets: the records (abi.ts SK_*), the tables the receive path looks them up in (udp_table's port
// hash, address+port hash2 and connected 4-tuple hash4, reuseport groups), receive queues, the ready
// list, and the syscall-like exports the control plane's socket API calls (create, bind, connect,
// close, options, receive). Lookup itself is sock_lookup.ts; the receive checks are udp.ts.
//
// Reads/sets: the L4 root (NR_L4), socket records. The data path only queues, counts, sets SK_ERR and
// the ready list; everything else is the control plane's (one thread), published with single stores.
//
// Concurrency. Tables: several workers may look up while the control plane changes them — a socket is
// filled before one store links it (chain head, or the member count of its group after the member is in
// place), unlinked by one store, and its record (and a replaced or emptied group array) goes back through
// reclaim.ts's grace periods (rc_retire), so a reader that found it before the unlink still reads a
// whole record. Queues: several producers (workers) and one consumer (the control plane reading); in the
// shared build a socket's queue, its rmem and counters change under SK_LOCK (the kernel's
// sk_receive_queue.lock; lock.ts), the ready ring's tail under the stack's NR_LOCK_READY, the frames all
// queues hold (udp_mem) by atomic adds. A closed socket's queue is purged under its lock, and a late
// enqueue (a worker that found the socket before the unlink) sees SKF_DEAD there and drops.
//
// ---- Exports for TypeScript (src/control/sockets.ts wraps them; errors are -errno, Linux numbers) ----
//
//   sk_create(family, protocol, flags) → id | -errno
//       family AF_INET 2 / AF_INET6 10; protocol IPPROTO_UDP 17 / IPPROTO_UDPLITE 136; flags SKF_REUSEADDR,
//       SKF_REUSEPORT, SKF_IPV6ONLY, SKF_BROADCAST as abi.ts (the rest ignored). -EAFNOSUPPORT,
//       -EPROTONOSUPPORT, -ENOMEM, -EMFILE (SK_MAX - 1 sockets live).
//   sk_bind(id, addrPtr, port, scopeId) → 0 | -errno
//       addrPtr: 16 bytes (AF_INET: the address in the first 4; AF_INET6: IPv6, ::ffff:a.b.c.d for IPv4 on a
//       dual-stack socket), 0 for the wildcard; port host order, 0 → ephemeral (ip_local_port_range);
//       scopeId: sin6_scope_id (a link-local address needs it or a bound device). -EINVAL (bound already,
//       v4-mapped on an IPV6_V6ONLY socket, link-local without an interface), -EADDRNOTAVAIL (not ours),
//       -EADDRINUSE, -ENODEV (no such scope interface), -EBADF.
//   sk_connect(id, addrPtr, port, scopeId) → 0 | -errno     autobind first (as inet_dgram_connect), then
//       the route (-ENETUNREACH), broadcast without SO_BROADCAST (-EACCES), source selection, then hash4
//       (connect with AF_UNSPEC is sk_disconnect). scopeId: sin6_scope_id — a link-local (or link- or
//       interface-local multicast) peer binds the socket to that device; without one and without a bound
//       device, -EINVAL (-EINVAL too when it names another device than the bound one).
//   sk_disconnect(id) → 0 | -errno                 __udp_disconnect (an autobound port is given up)
//   sk_close(id) → 0 | -errno                      unhashed at once, queue freed, record retired
//   sk_setsockopt(id, opt, val) → 0 | -errno       opt = level << 8 | optname, the kernel's numbers (SKO_*)
//   sk_getsockopt(id, opt) → value | -errno        SO_ERROR takes the pending error
//   sk_recv(id, buf, bufLen, meta) → length | -EAGAIN | -errno
//       copies the oldest datagram (at most bufLen bytes) to buf; meta (RM_SIZE bytes, RM_*) gets its source,
//       ifindex and full length (RM_FLAGS_TRUNC when cut). Counts Udp:InDatagrams as udp_recvmsg does.
//   sk_recv_batch(id, max, buf, bufLen, meta) → count
//       up to `max` datagrams packed into buf (each at meta[i].RM_OFF, 8-aligned); meta holds max × RM_SIZE.
//       A datagram that does not fit what is left of buf ends the batch, unless it is the first (cut then).
//   sk_ready(out, max) → count                     socket ids (u32 each at out) that got a datagram or an
//       error since they were last reported; each id once.
//   sk_err_take(id) → errno | 0
//   sk_raw_create(family, protocol) → id | -errno   an embedder's handler for IP protocol `protocol`
//       (not ICMP/TCP/UDP/UDP-Lite): whole datagrams (from the IP header) queued on socket `id`, read with
//       sk_recv; the protocol table points at it until sk_close. -EADDRINUSE when one exists.
//   sk_port_range(low, high) → 0 | -EINVAL          net.ipv4.ip_local_port_range (32768 60999)
//   sk_hash_secret(secret)                          the reuseport flow-hash secret (random in the kernel;
//       fixed here so runs repeat; tests and benches set it)
//   sockById(id) → record address | 0
//   sk_autobind(sk) → 0 | -errno                   inet_autobind (the send path calls it)
//   sk_rmem_default(v) / sk_rmem_max(v)             net.core.rmem_default / rmem_max (212992)
//   sk_wmem_default(v) / sk_wmem_max(v)             net.core.wmem_default / wmem_max (212992)
//   sk_mem_max(frames) / sk_mem_held()              udp_mem: frames all socket queues may hold (half the UMEM)
//   sk_io_area() → address                          the control plane's I/O area (IO_*): an address to
//       pass, a meta array and a data buffer for sk_recv / sk_recv_batch (one reader: the control plane)
//
// ---- The L4 root (NR_L4: made by the first sk_create, published by one store) ----
//
//   +0  u32 magic 'L4SK'          +4  u32 id table: SK_MAX × u32 record address by id (0: none)
//   +8  u32 next unused id        +12 u32 free id stack (SK_MAX × u32)   +16 u32 free ids on it
//   +20 u32 UDP tables (TB_*)     +24 u32 UDP-Lite tables (made with the first UDP-Lite socket)
//   +28 u32 ready ring: SK_MAX × u32 ids    +32 u32 ready head (reader)   +36 u32 ready tail (data path)
//   +40 u32 flow hash secret      +44 u32 ephemeral port generator state
//   +48 u64 next socket cookie    +56 u32 raw handlers: 512 × u32 socket id (IPv4 by protocol, then IPv6)
//   +60 u32 sockets live          +64 u16 port range low | +66 u16 high
//   +68 u32 rmem_default          +72 u32 rmem_max   +76 wmem_default   +80 wmem_max
//   +84 u32 next reuseport group id   +88 u32 the control plane's I/O area
//   +92 u32 frames held by all socket queues   +96 an address being bound (16) | +112 a connect's source (16)
//   +128 u32 the most frames the queues may hold (control plane only: the data path uses its worker scratch)
//   +136 u32 the multicast root (udp_mcast.ts: device groups)
//   +140 u32 the IPv6 address ids (A6_*: made with the first IPv6 reuseport group)   +144 u32 ids given
//
// ---- A protocol's tables (TB_*, one block) ----
//
//   +0  u32 port table: 65536 × u32 chain head by local port (udp_table.hash: bind conflicts, multicast)
//   +4  u32 hash2: H2_SLOTS × 128-byte slots by (address, port) (udp_table.hash2: lookup): a copy of the
//       head's reuseport group's line 0, then the chain head and its group, published as one u64 store (H2_*, h2Set)
//   +8  u32 hash4: H4_SLOTS × u32 chain head by the 4-tuple of connected sockets (early demux)
//   +12 u32 connected sockets (hash4 is walked only when not 0)
//   +16 u32 sockets per port table slot are chained through SKX_NEXT_PORT, hash2 through SKX_NEXT2, hash4
//       through SKX_NEXT4, newest first (hlist_add_head_rcu), but a reuseport IPv6 socket goes last in
//       hash2 as the kernel's. Records are 64-aligned and laid out for the receive path (abi.ts): an
//       IPv4 lookup scores a socket from its line 0 alone (port, flags, family, peer port, bound device,
//       state, the inet_rcv_saddr / inet_daddr views, the hash2 link, the reuseport group); the chosen
//       member's enqueue writes line 1 (SO_RCVBUF, rmem, the queue, the ready mark, incoming cpu, and
//       SKX_HIT/SKX_READY: what it needs of line 0). With 2^16 hash2 slots, 100k sockets leave chains of ~1: one line for
//       the slot, one per socket scored, two for the one that queues. A chain whose head is in a
//       reuseport group names the group in its slot, and the slot's first line is a copy of the group's
//       (its members' key, RG_RCV4…, and its first 16 members, 3 bytes each; the next 17 in the slot's second): the
//       lean receive (udp_lean.ts) decides such a chain from the slot alone, without the head's record,
//       the group or the member array's own line.
//       Tried and dropped (wxdp bench udp --quick, data path ns, medians of rounds interleaved with the
//       layout kept): line 1 of every record in a dense array of its own (64 bytes a socket, by the
//       record's address: a quarter of the pages, and no line 0 beside it for the adjacent-line
//       prefetch), 8 rounds at load ~10 — 10k sockets 47.2 → 51.1, 100k 61.2 → 64.0, IPv6 10k 51.9 →
//       53.3, 100k 67.0 → 67.2; records twice as sparse (SK_SIZE 512, twice the pages), 8 rounds at
//       load ~6 — 10k 48.4 → 47.7, 100k 64.5 → 66.1. The pages the records take are not what a datagram
//       waits for. Nor the L2 sets their line 1 falls in: the records come from the slab 256 bytes apart,
//       so at 10k their line 1 is in 1024 of L2's 2048 sets (up to 12 a set), at 100k in 1536; a 64-byte
//       gap after every 8th record (all 2048 sets) read even, 12-07 in one process beside the kept layout
//       and an A/A row (6 rounds, load ~18): 10k 111.1 → 110.0 ns (the A/A row 109.3), 100k 126.1 → 125.6.
//       Nor a smaller dense array (12-07, ud53): the enqueue's state alone (SO_RCVBUF, rmem, queue head,
//       tail and length, the ready mark, SKX_HIT) in 32 bytes a socket, by sk >> 8 (unique among live
//       256-byte records) through a directory of 64 KiB pages (8 KiB of blocks each): 320 KiB at 10k,
//       so the enqueue and lbWarm touched no record line; each variant a Datapath of its own in one
//       process beside an A/A row, 8 paired rounds at load ~14: 10k 58.1 → 59.3 ns (A/A 58.9, 0/8 won),
//       100k 71.8 → 74.7 (A/A 72.0, 0/8). perf: lbWarm's wave still waits (82 % of its samples) on the
//       dense block's load, as on line 1: what evicts the enqueue's state between a socket's datagrams
//       is not the records' footprint (the generator's and the reader's lines, the VM's neighbours);
//       at 100k the reader, which reads both the block and the record, slowed by more too.
//
// ---- Socket fields of this file (SK 48-59 beside the lookup's, 72-91 beside the enqueue's, 184-255) ----
export const SKX_RCV4: u32 = 48; //       u32 inet_rcv_saddr: the IPv4 view of the bound address (an IPv6 socket:
//                                          0 for ::, a.b.c.d for ::ffff:a.b.c.d, 127.0.0.6 for a native one)
export const SKX_DADDR4: u32 = 52; //     u32 inet_daddr: the IPv4 view of the peer (127.0.0.6 for a native IPv6 one)
export const SKX_NEXT2: u32 = 56; //      u32 next in the hash2 chain
export const SKX_QHEAD: u32 = 72; //      u32 the oldest queued datagram's record (QR_*; 0: empty)
export const SKX_QTAIL: u32 = 76; //      u32 the newest
export const SKX_QLEN: u32 = 80; //       u32 datagrams queued
export const SKX_READY: u32 = 84; //      u32 the id << 1 | 1 while the id is on the ready ring (the id here: the
//                                          enqueue reads line 1 alone)
export const SKX_INCOMING: u32 = 88; //   u32 sk_incoming_cpu + 1 (0: never received)
export const SKX_HIT: u32 = 98; //        u8 what the enqueue reads of line 0, mirrored in line 1 (SKH_*)
export const SKH_DEAD: u8 = 1; //         SKF_DEAD
export const SKH_PEER: u8 = 2; //         SKX_DADDR4 != 0 (sk_incoming_cpu_update)
// and what the reader (sk_recv_batch) reads of lines 0 and 3, so that it reads line 1 alone, as the
// enqueue does: with thousands of sockets each line a socket's reader touches is a miss, and the
// lines it evicts are the data path's (the hash2 slots, the records' line 1) (set at creation, never changed).
// Measured 12-07 (spu57; bench udp's demux workload, the build before and after in one process, blocks
// of ~150 ms in turns, data path ns, load ~10): 10k 46.1 → 45.1 (B/A 0.981, 15/16 blocks won), 100k
// 57.7 → 57.0 (0.993, 9/12); the reader itself ~40 % less time a datagram.
export const SKH_V6: u8 = 4; //           SK_FAMILY is AF_INET6
export const SKH_LITE: u8 = 8; //         SK_PROTOCOL is IPPROTO_UDPLITE
export const SKH_RAW: u8 = 16; //         SKX_RAW_PROTO != 0
export const SKX_NEXT4: u32 = 184; //     u32 next in the hash4 chain
export const SKX_HASH2: u32 = 188; //     u32 the hash2 slot index it is chained in
export const SKX_HASH4: u32 = 192; //     u32 the hash4 slot index (connected)
export const SKX_NEXT_PORT: u32 = 196; // u32 next record in the port chain (bind conflicts, multicast)
export const SKX_HASHED: u32 = 200; //    u8 bit 0: in the port/hash2 tables; bit 1: in hash4
export const SKX_RAW_PROTO: u32 = 201; //  u8 the IP protocol of a raw handler socket (0: a UDP socket)
export const SKX_USERLOCKS: u32 = 202; // u8 SOCK_BINDADDR_LOCK 4 | SOCK_BINDPORT_LOCK 8 | SOCK_BINDIF_LOCK 16 | RCVBUF 2 | SNDBUF 1
// 203: free (UDPLITE_RECV_CC is SK_PCFLAG's bit, abi.ts)
export const SKX_SEND_CSCOV: u32 = 204; // u16 UDPLITE_SEND_CSCOV (pcslen)
export const SKX_RECV_CSCOV: u32 = 206; // u16 UDPLITE_RECV_CSCOV (pcrlen)
export const SKX_V6_SADDR: u32 = 208; //  16 bytes: np->saddr of an IPv6 socket (the send source; SK_SADDR mirrors it)
export const SKX_MCAST: u32 = 224; //     u32 the socket's multicast block (udp_mcast.ts SM_*; 0: defaults, no groups)
// 228-231: abi.ts's SK_HOPS6, SK_TCLASS, SK_PMTUDISC6; 232-255: free
//
// ---- A reuseport group (struct sock_reuseport; SK_REUSEPORT_GROUP of each member; a packed block,
// reclaim.ts rc_alloc_packed: thousands of groups share a few hundred pages, not one each among their members) ----
// Two lines (the block is 64-aligned). Line 0 is what the lean receive reads of a group it decides
// (udp_lean.ts groupPick4, udp6_lean.ts udp6Lookup): the count, the members' key and whether anything
// else must be asked (RG_SLOW), then the first 12 members; the last 4 of an inline array and everything
// else are line 1. A datagram's pick is in line 0 for 12 of 16 members: with thousands of groups, 1.25
// lines a datagram instead of 2. IPv6's key, 16 bytes of address, is in line 1 (RG_RCV6); line 0 holds
// it as an id (RG_ID6), so an IPv6 datagram's match reads line 0 alone too.
export const RG_NUM: u32 = 0; //          u16 num_socks (the kernel's u16; at most RG_MAX members)
export const RG_ID6: u32 = 2; //          u16 the members' bound address as an id (addr6Id): ID6_ANY for ::, 0
//                                          for none (an AF_INET group, a v4-mapped address, no id left)
export const RG_SOCKS: u32 = 4; //        u32 member array: RG_CAP × u32 record addresses (published whole on growth)
// the members' key, what compute_score compares of each (reuseport_add_sock joins equal ones only): the
// lean receive matches a datagram against the group instead of the chain's head (udp_lean.ts)
export const RG_RCV4: u32 = 8; //         u32 SKX_RCV4 of the members
export const RG_PORT: u32 = 12; //        u16 SK_NUM of the members
export const RG_V6ONLY: u32 = 14; //      u8 1: the members are IPV6_V6ONLY (an IPv4 datagram never matches)
export const RG_SLOW: u32 = 15; //        u8 RGS_*: what the key alone does not decide (mirrors of line 1's fields)
export const RG_INLINE: u32 = 16; //      16 × u32: the member array while RG_CAP is 16 (RG_SOCKS points here)
export const RG_CAP: u32 = 80; //         u32 room in the member array
export const RG_HAS_CONNS: u32 = 84; //   u32 a member connected (reuseport_has_conns)
export const RG_PROG: u32 = 88; //        u32 the SK_REUSEPORT program (sk_prog.ts owns the value; 0: none)
export const RG_ID: u32 = 92; //          u32 reuseport_id (never reused)
export const RG_BIND_INANY: u32 = 96; //  u32 the group is bound to the wildcard address
export const RG_DEV: u32 = 100; //        u32 SK_BOUND_DEV_IF of the members
export const RG_RCV6: u32 = 104; //       16 bytes: SK_RCV_SADDR of the members (IPv6's key; udp6_lean.ts)
export const RG_SK6: u32 = 120; //        u8 1: the members are AF_INET6 (an IPv6 datagram may match at all)
export const RG_SIZE: u32 = 128;
// RG_SLOW's bits, each set with the field it mirrors (the control plane's single byte store: a reader
// sees the group before or after the change, as with the field itself)
export const RGS_MIXED: u8 = 1; //        some member's address or device changed since it joined (rehash,
//                                          SO_BINDTODEVICE, disconnect): the key no longer says; never cleared
export const RGS_CONNS: u8 = 2; //        RG_HAS_CONNS
export const RGS_PROG: u8 = 4; //         RG_PROG != 0
export const RGS_DEV: u8 = 8; //          RG_DEV != 0 (the device is then read from line 1)
const RG_INLINE_CAP: u32 = 16;
/**
 * The most members a group holds: reuseport_grow doubles max_socks from INIT_SOCKS (128) while the double
 * is at most U16_MAX, so 32768, and returns NULL past it (reuseport_add_sock's -ENOMEM). The member
 * array here doubles from 16, and reaches 32768 too.
 */
const RG_MAX: u32 = 32768;
//
// ---- IPv6 address ids (L4_ADDR6: A6_SLOTS × A6_SIZE, open addressing by addrWord6, linear probing) ----
// An IPv6 reuseport group's address as a number that fits line 0 (RG_ID6): the lean receive looks up the
// id of a burst's destination once (a burst's frames mostly share it) and compares each group's with
// it. An id names one address for the root's life: entries are written once (the address, then the id
// that makes the entry live) and never removed or reused, so an id read at any time still names the
// address it was given for. At most A6_MAX addresses get one; a group bound to another gets 0 and the
// lean receive reads its address from line 1.
const A6_ADDR: u32 = 0; //                16 bytes
const A6_ID: u32 = 16; //                 u32 the id (0: the entry is free)
const A6_SIZE: u32 = 32;
const A6_SLOTS: u32 = 1024;
const A6_MAX: u32 = A6_SLOTS / 2;
/** RG_ID6 of a group bound to :: (the wildcard chain's); interned addresses start after it. */
export const ID6_ANY: u32 = 1;
/** addr6Id's answer for an address without an id: above any u16, so no group's RG_ID6 is equal to it. */
export const ID6_NONE: u32 = 0x10000;
//
// ---- A hash2 slot (TB_HASH2: H2_SLOTS × 128 bytes, two lines) ----
// A copy of what the lean receive reads of the chain head's reuseport group — the count, the address id,
// the key words, the first 16 members — laid out as the group's line 0 but for the members, packed in
// 3 bytes each (a record's address >> 6: records are 64-aligned, h2Member), then in line 1 the next 17
// members, the member array, and the chain's head and its group. With thousands of groups the group's
// line is a cache miss a datagram; the slot's line 0 is the same line, without the level before it
// (udp_lean.ts slotPick4): a pick among a group's first 16 members (a group of 16 all of them; 12 with
// u32 members, whose other quarter of picks waited for line 1) reads line 0 alone. A member past the
// 3 bytes' reach (a record at or above 1 GiB) is copied as 0, which the readers leave to the full path.
// The copy is a function of the head and its group, written under a sequence count (h2Set: odd while it
// is written, the pair inside): a reader that reads the count even and unchanged around its reads saw
// one whole version (read_seqcount_begin / read_seqcount_retry), else it leaves the datagram to the full
// path. Every change of a group's line 0 (a member joining or leaving, the array grown, RG_SLOW) writes
// the copy again (groupPublish); a group's members all hash to the slot of its key until one's key
// changes, which sets RGS_MIXED first (never cleared: a copy with it sends every datagram the slow way).
// (Tried and dropped: the line 0s as an array of their own (4 MiB, the line 1s in another), for half the
// pages and no line 1 beside a line 0 for the adjacent-line prefetch — even: wxdp bench udp --quick, 6
// rounds interleaved at load 5-8, data path ns 10k sockets 47.2 → 47.8, 100k 60.0 → 61.8, IPv6 10k 52.0
// → 51.7, 100k 64.3 → 65.0. A service's ports on one address are near one another here — consecutive
// ports xored into one address's mix — so bench udp's 6,250 groups' slots take ~256 pages, not 2,048.)
export const H2_NUM: u32 = 0; //          u16 RG_NUM of the head's group (0: no group)
export const H2_ID6: u32 = 2; //          u16 RG_ID6
export const H2_SEQ: u32 = 4; //          u32 the copy's sequence count (odd: being written)
export const H2_KEY: u32 = 8; //          8 bytes: RG_RCV4, RG_PORT, RG_V6ONLY, RG_SLOW (at their offsets less RG_RCV4 - H2_KEY)
export const H2_MEMBERS: u32 = 16; //     H2_INLINE × 3 bytes: the first members (h2Member; 16 in line 0)
export const H2_INLINE: u32 = 33;
export const H2_SOCKS: u32 = 116; //      u32 RG_SOCKS (the members from H2_INLINE on)
export const H2_HEAD: u32 = 120; //       u32 the chain's first socket
export const H2_GROUP: u32 = 124; //      u32 that socket's reuseport group (0: none or no head); the two one u64
export const H2_SHIFT: u32 = 7; //        a slot's offset is its index << H2_SHIFT
//
// ---- A queued datagram: the UMEM frame it arrived in is held (its head, the xdp_frame room) ----
//
//   frame +0 u32 next frame | +4 u32 q (the device queue it goes back to; 0: the pool) | +8 u32 payload
//   address | +12 u32 payload length | +16 u32 ifindex | +20 u16 source port (host order) | +22 u8 family
//   | +23 u8 reserved | +24 u32 the IP header's address (the source address is read from it) | +28 truesize
//
// Every socket's queue is bounded by its SO_RCVBUF; all of them together by a share of the UMEM
// (sk_mem_max, half the frames by default): the kernel's udp_mem, whose excess it counts as MemErrors
// (PROTO_MEM). Without it 10k sockets of a few queued datagrams each would hold every frame, and the
// receive rings would stop for all of them.
//
// Why hold the frame rather than copy into a per-socket ring: the frame is already in shared memory and
// the datagram is copied once (by sk_recv, into the reader's buffer) instead of twice; memory is taken
// only while something is queued (a ring per socket sized for SO_RCVBUF's default would be 200 KiB
// each: 20 GiB for 100k sockets); and the queue's bound is the kernel's own: sk_rmem_alloc against
// sk_rcvbuf, charged with the truesize the kernel's skb for the datagram would have (skTruesize), so a
// socket holds as many datagrams as a kernel socket would (256 of 64 bytes by default), each in a whole
// frame: the memory they hold is bounded by udp_mem. The frame goes back to its queue's fill ring when read.
//
// ---- Meta of a received datagram (RM_*, as sk_recv and sk_recv_batch write it) ----
export const RM_FAMILY: u32 = 0; //  u8 AF_INET / AF_INET6 (of the socket's view: v4-mapped on a dual-stack socket)
export const RM_FLAGS: u32 = 1; //   u8 RM_FLAG_TRUNC
export const RM_PORT: u32 = 2; //    u16 source port, host order
export const RM_IFINDEX: u32 = 4; // u32 the device it arrived on
export const RM_LEN: u32 = 8; //     u32 the datagram's full length
export const RM_OFF: u32 = 12; //    u32 where its bytes start in buf (batch)
export const RM_ADDR: u32 = 16; //   16 bytes source address (AF_INET: first 4)
export const RM_SIZE: u32 = 32;
export const RM_FLAG_TRUNC: u32 = 1;
//
// ---- The control plane's I/O area (sk_io_area) ----
export const IO_ADDR: u32 = 0; //        16 bytes: an address for sk_bind / sk_connect
export const IO_META: u32 = 64; //       IO_META_MAX × RM_SIZE
export const IO_META_MAX: u32 = 1024;
export const IO_DATA: u32 = 65536; //    IO_DATA_SIZE bytes of datagrams
export const IO_DATA_SIZE: u32 = 196608;
const IO_SIZE: u32 = 262144;
//
// ---- Socket options: opt = level << 8 | optname (SOL_SOCKET 1, IPPROTO_IP 0, IPPROTO_IPV6 41, SOL_UDPLITE 136) ----
export const SKO_SO_REUSEADDR: u32 = 0x102;
export const SKO_SO_TYPE: u32 = 0x103;
export const SKO_SO_ERROR: u32 = 0x104;
export const SKO_SO_BROADCAST: u32 = 0x106;
export const SKO_SO_SNDBUF: u32 = 0x107;
export const SKO_SO_RCVBUF: u32 = 0x108;
export const SKO_SO_NO_CHECK: u32 = 0x10b;
export const SKO_SO_REUSEPORT: u32 = 0x10f;
export const SKO_SO_BINDTODEVICE: u32 = 0x119; // val: ifindex (0: unbind)
export const SKO_SO_MARK: u32 = 0x124;
export const SKO_SO_PROTOCOL: u32 = 0x126;
export const SKO_SO_DOMAIN: u32 = 0x127;
export const SKO_SO_RXQ_OVFL: u32 = 0x128; //     getsockopt here: sk_drops
export const SKO_SO_INCOMING_CPU: u32 = 0x131;
export const SKO_SO_COOKIE: u32 = 0x139; //       low 32 bits (the record has all 64)
export const SKO_IP_TOS: u32 = 0x001;
export const SKO_IP_TTL: u32 = 0x002;
export const SKO_IP_MTU_DISCOVER: u32 = 0x00a;
export const SKO_IP_MULTICAST_TTL: u32 = 0x021;
export const SKO_IPV6_UNICAST_HOPS: u32 = 0x2910;
export const SKO_IPV6_V6ONLY: u32 = 0x291a;
export const SKO_IPV6_MTU_DISCOVER: u32 = 0x2917; // SK_PMTUDISC6 (np->pmtudisc; IP_MTU_DISCOVER's is inet->pmtudisc)
export const SKO_IPV6_DONTFRAG: u32 = 0x293e;
export const SKO_IPV6_TCLASS: u32 = 0x2943;
export const SKO_UDPLITE_SEND_CSCOV: u32 = 0x880a;
export const SKO_UDPLITE_RECV_CSCOV: u32 = 0x880b;

import { copyBytes, fillBytes } from '../bytes';
import { DP_BASE, DP_UMEM_FRAMES, FRAME_SIZE } from '../abi';
import { rc_alloc, rc_alloc_packed, rc_retire, rc_retire_packed, netWorkerSlot } from './reclaim';
import { mibAdd, mibInc, netFree, netRoot, netdevGet, sysctl } from './core';
import { atomicAdd32, spinLock, spinUnlock } from './lock';
import {
  AF_INET, AF_INET6, FR_TYPE, NR_L4, NR_LOCK_READY, SK_LOCK, RTN_BROADCAST, RTN_LOCAL, RTN_MULTICAST, SK_BOUND_DEV_IF, SK_COOKIE, SK_DADDR,
  SK_DPORT, SK_DROPS, SK_ERR, SK_FAMILY, SK_FLAGS, SK_ID, SK_MARK, SK_MC_TTL, SK_NUM, SK_PMTUDISC, SK_PROTOCOL,
  SK_RCVBUF, SK_RCV_SADDR, SK_REUSEPORT_GROUP, SK_REUSEPORT_INDEX, SK_RMEM, SK_RX_BYTES, SK_RX_PACKETS, SK_SADDR,
  SK_SIZE, SK_SNDBUF, SK_STATE, SK_TOS, SK_TTL, SK_HOPS6, SK_TCLASS, SK_PMTUDISC6, SKF_BROADCAST, SKF_DEAD, SKF_IPV6ONLY, SKF_NO_CHECK_TX, SKF_REUSEADDR,
  SKF_REUSEPORT, TCP_CLOSE, TCP_ESTABLISHED, UDP_MIB_BASE, UDP6_MIB_BASE, UDPLITE_MIB_BASE, UDPLITE6_MIB_BASE,
  UDP_MIB_INDATAGRAMS, SYSCTL_IP_DEFAULT_TTL, SK_PCFLAG, UDPLITE_SEND_CC, UDPLITE_RECV_CC, SK_FLAGS6, SK6F_DONTFRAG,
} from './abi';
import { fib4_local_type } from './fib';
import { IPPROTO_UDP, IPPROTO_UDPLITE, IPV6_ADDR_ANY, IPV6_ADDR_LINKLOCAL, IPV6_ADDR_MAPPED, IPV6_ADDR_MULTICAST,
  ipv6AddrType, ipv6NeedsScopeId, ipv6Equal, ipv6IsAny, ipv6IsV4Mapped, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, ldBe16 } from './inet';
import { ipv6IsLocal } from './icmp';
import { ipv6_chk_addr, ipv6_chk_addr_bind } from './netdev';
import { ip6_route_output } from './output';
import { INADDR_LOOPBACK, udpRoute4, udpRouteDest4, udpRouteSource4 } from './udp_output';
import { addrHash6, portaddrHash2, portHash4 } from './sock_lookup';
import { net_proto_raw } from './local';
import { sk_prog_sock_closed, skViewOnCreate, skViewsForAll } from './sk_prog';
import { mcGetOpt, mcOif, mcOp, mcSetIf4, mcSetOpt, mcSockClose } from './udp_mcast';
import { EBADF, EAGAIN, ENOMEM, EACCES, ENODEV, EINVAL, EMFILE, ENOPROTOOPT, EOPNOTSUPP, EPROTONOSUPPORT, EAFNOSUPPORT, EADDRINUSE, EADDRNOTAVAIL, ENETUNREACH } from '../maps/uapi';

export const SK_MAX: u32 = 1 << 18; // ids 1 .. SK_MAX-1
export const H2_SLOTS: u32 = 1 << 16; // UDP_HTABLE_SIZE_MAX
export const H4_SLOTS: u32 = 1 << 17;
const L4_MAGIC: u32 = 0x4b53344c; // 'L4SK'
export const L4_IDS: u32 = 4;
const L4_NEXT_ID: u32 = 8;
const L4_FREE_IDS: u32 = 12;
const L4_NFREE: u32 = 16;
export const L4_UDP: u32 = 20;
export const L4_UDPLITE: u32 = 24;
const L4_READY: u32 = 28;
const L4_READY_HEAD: u32 = 32;
const L4_READY_TAIL: u32 = 36;
export const L4_SECRET: u32 = 40;
const L4_RNG: u32 = 44;
const L4_COOKIE: u32 = 48;
export const L4_RAW: u32 = 56;
export const L4_LIVE: u32 = 60;
const L4_PORT_LOW: u32 = 64;
const L4_PORT_HIGH: u32 = 66;
const L4_RMEM_DEFAULT: u32 = 68;
const L4_RMEM_MAX: u32 = 72;
const L4_WMEM_DEFAULT: u32 = 76;
const L4_WMEM_MAX: u32 = 80;
const L4_RG_ID: u32 = 84;
const L4_IO: u32 = 88;
const L4_HELD: u32 = 92;
const L4_HELD_MAX: u32 = 128;
export const L4_MCAST: u32 = 136;
const L4_ADDR6: u32 = 140;
const L4_ADDR6_N: u32 = 144;
const L4_SIZE: u32 = 192;
export const TB_PORT: u32 = 0;
export const TB_HASH2: u32 = 4;
export const TB_HASH4: u32 = 8;
export const TB_CONNECTED: u32 = 12;
const TB_SIZE: u32 = 64;

// A queued datagram's record: the 14 bytes right before its L3 header, the link-layer header's room,
// which nothing reads once the datagram is queued (every frame has it: the stack finds an Ethernet header
// at data, never below hard_start + XDP_FRAME_STRUCT). It shares a line with the headers the NIC wrote
// and the stack just read; the frame's first line, where it was before, is cold since the frame was last
// freed (a miss per datagram at the enqueue and another at the reader's). The list links records.
//   +0  u32 the next queued datagram's record (0: the last)     +4  u32 the RX queue the frame goes back to
//   +8  u32 payload bytes (QR_PLEN_BITS) | ifindex << QR_PLEN_BITS (< NETDEV_MAX)
//   +12 u16 the payload's offset from the L3 header (0: a raw socket's, whose payload is the datagram)
// The rest is read from the datagram: its family (the IP version), its source port (the UDP header's,
// right before the payload), its truesize (skTruesize of the offset and the bytes, its L3 length).
// Tried and dropped on 12-06 (wxdp bench udp --quick data path ns, medians of rounds interleaved with
// this layout, load 15-22): the enqueue linking a datagram before the newest (two lists, the reader
// reversing the enqueue's when its own is empty), so that no other datagram's record is written — 6
// rounds, 10k sockets 48.1 → 48.1, 100k 59.1 → 59.5, IPv6 10k 52.1 → 51.4: the newest record is in cache
// (a socket's last datagram came within the reader's last 1024); the record written by udp_lean.ts's
// first pass, its header line in L1 then, the enqueue only linking it — 5 rounds, 10k 50.2 → 50.7, 100k
// 59.6 → 59.9, 10 sockets 25.6 → 27.1 (written twice there, the run's enqueue unchanged).
export const QR_NEXT: u32 = 0;
const QR_Q: u32 = 4;
const QR_LEN_IF: u32 = 8;
const QR_POFF: u32 = 12;
/** The record's bytes: it starts this far before the L3 header. */
const QR_SIZE: u32 = 14;
/** A payload's bytes: up to a big frame's (umem.ts BIG_FRAME_SIZE, 17 pages) in 17 bits; 15 left for ifindex. */
const QR_PLEN_BITS: u32 = 17;

const LOOPBACK4_IPV6: u32 = 0x0600007f; // 127.0.0.6 as stored: inet_rcv_saddr of a native IPv6 socket
const SOCK_SNDBUF_LOCK: u8 = 1;
const SOCK_RCVBUF_LOCK: u8 = 2;
export const SOCK_BINDADDR_LOCK: u8 = 4;
const SOCK_BINDPORT_LOCK: u8 = 8;
const SOCK_BINDIF_LOCK: u8 = 16;
const SOCK_MIN_RCVBUF: u32 = 2304; // 2048 + sizeof(struct sk_buff), as 6.x reports SO_RCVBUF 1
const SOCK_MIN_SNDBUF: u32 = 4608;


// ---- The root ----

@inline export function l4Root(): u32 {
  return load<u32>(netRoot() + NR_L4);
}

function l4Init(): u32 {
  const nr = netRoot();
  if (nr == 0) return 0;
  let r = load<u32>(nr + NR_L4);
  if (r != 0) return r;
  r = rc_alloc(L4_SIZE);
  const ids = rc_alloc(SK_MAX * 4);
  const free = rc_alloc(SK_MAX * 4);
  const ready = rc_alloc(SK_MAX * 4);
  const raw = rc_alloc(512 * 4);
  const io = rc_alloc(IO_SIZE);
  if (r == 0 || ids == 0 || free == 0 || ready == 0 || raw == 0 || io == 0) return 0;
  store<u32>(r + L4_IO, io);
  store<u32>(r, L4_MAGIC);
  store<u32>(r + L4_IDS, ids);
  store<u32>(r + L4_NEXT_ID, 1);
  store<u32>(r + L4_FREE_IDS, free);
  store<u32>(r + L4_READY, ready);
  store<u32>(r + L4_SECRET, 0x9e3779b9);
  store<u32>(r + L4_RNG, 0x2545f491);
  store<u64>(r + L4_COOKIE, 1);
  store<u32>(r + L4_RAW, raw);
  store<u16>(r + L4_PORT_LOW, 32768);
  store<u16>(r + L4_PORT_HIGH, 60999);
  store<u32>(r + L4_RMEM_DEFAULT, 212992);
  store<u32>(r + L4_RMEM_MAX, 212992);
  store<u32>(r + L4_WMEM_DEFAULT, 212992);
  store<u32>(r + L4_WMEM_MAX, 212992);
  store<u32>(r + L4_RG_ID, 1);
  store<u32>(r + L4_HELD_MAX, load<u32>(DP_BASE + DP_UMEM_FRAMES) >> 1);
  store<u32>(nr + NR_L4, r); // last: a reader sees no root or a whole one
  return r;
}

function tablesMake(): u32 {
  const t = rc_alloc(TB_SIZE);
  const port = rc_alloc(65536 * 4);
  const h2 = rc_alloc(H2_SLOTS << H2_SHIFT);
  const h4 = rc_alloc(H4_SLOTS * 4);
  if (t == 0 || port == 0 || h2 == 0 || h4 == 0) return 0;
  store<u32>(t + TB_PORT, port);
  store<u32>(t + TB_HASH2, h2);
  store<u32>(t + TB_HASH4, h4);
  return t;
}

/** The tables of `protocol` (UDP or UDP-Lite), 0 when none were made. */
@inline export function udpTables(r: u32, protocol: u32): u32 {
  return load<u32>(r + (protocol == IPPROTO_UDPLITE ? L4_UDPLITE : L4_UDP));
}

/**
 * Every socket gets a view for programs from now on (sk_prog.ts; control plane): an XDP program that
 * looks sockets up was loaded. 0 or -ENOMEM.
 */
export function sk_views_for_all(): i32 {
  const r = l4Init();
  return r == 0 ? -ENOMEM : skViewsForAll(load<u32>(r + L4_NEXT_ID));
}

/** The record of socket `id`, 0 when there is none (closed, never made). */
export function sockById(id: u32): u32 {
  if (id == 0 || id >= SK_MAX || netRoot() == 0) return 0;
  const r = l4Root();
  if (r == 0) return 0;
  return load<u32>(load<u32>(r + L4_IDS) + (id << 2));
}

@inline function liveSock(id: u32): u32 {
  const sk = sockById(id);
  if (sk == 0 || (load<u8>(sk + SK_FLAGS) & <u8>SKF_DEAD) != 0) return 0;
  return sk;
}

@inline function isV6(sk: u32): bool {
  return <u32>load<u8>(sk + SK_FAMILY) == AF_INET6;
}

@inline function hasFlag(sk: u32, f: u32): bool {
  return (<u32>load<u8>(sk + SK_FLAGS) & f) != 0;
}

@inline function setFlag(sk: u32, f: u32, on: bool): void {
  const v = <u32>load<u8>(sk + SK_FLAGS);
  store<u8>(sk + SK_FLAGS, <u8>(on ? v | f : v & ~f));
}

/** The UDP MIB group of a socket or datagram: Udp, UdpLite, Udp6, UdpLite6. */
@inline export function udpMibBase(v6: bool, protocol: u32): u32 {
  return v6 ? (protocol == IPPROTO_UDPLITE ? UDPLITE6_MIB_BASE : UDP6_MIB_BASE) : protocol == IPPROTO_UDPLITE ? UDPLITE_MIB_BASE : UDP_MIB_BASE;
}

// ---- Create ----

export function sk_create(family: u32, protocol: u32, flags: u32): i32 {
  if (family != AF_INET && family != AF_INET6) return -EAFNOSUPPORT;
  if (protocol == 0) protocol = IPPROTO_UDP;
  if (protocol != IPPROTO_UDP && protocol != IPPROTO_UDPLITE) return -EPROTONOSUPPORT;
  return skNew(family, protocol, flags, 0);
}

function skNew(family: u32, protocol: u32, flags: u32, raw: u32): i32 {
  const r = l4Init();
  if (r == 0) return -ENOMEM;
  if (raw == 0) {
    const slot = r + (protocol == IPPROTO_UDPLITE ? L4_UDPLITE : L4_UDP);
    if (load<u32>(slot) == 0) {
      const t = tablesMake();
      if (t == 0) return -ENOMEM;
      store<u32>(slot, t);
    }
  }
  let id: u32;
  const nfree = load<u32>(r + L4_NFREE);
  if (nfree != 0) {
    id = load<u32>(load<u32>(r + L4_FREE_IDS) + ((nfree - 1) << 2));
    store<u32>(r + L4_NFREE, nfree - 1);
  } else {
    id = load<u32>(r + L4_NEXT_ID);
    if (id >= SK_MAX) return -EMFILE;
    store<u32>(r + L4_NEXT_ID, id + 1);
  }
  const sk = skViewOnCreate(id) ? rc_alloc(SK_SIZE) : 0;
  if (sk == 0) {
    skIdFree(r, id);
    return -ENOMEM;
  }
  store<u32>(sk + SK_ID, id);
  store<u32>(sk + SKX_READY, id << 1);
  store<u8>(sk + SK_STATE, <u8>TCP_CLOSE);
  store<u8>(sk + SK_FAMILY, <u8>family);
  store<u8>(sk + SK_PROTOCOL, <u8>protocol);
  store<u8>(sk + SK_FLAGS, <u8>(flags & (SKF_REUSEADDR | SKF_REUSEPORT | SKF_IPV6ONLY | SKF_BROADCAST | SKF_NO_CHECK_TX)));
  if (family == AF_INET) store<u8>(sk + SK_FLAGS, load<u8>(sk + SK_FLAGS) & ~<u8>SKF_IPV6ONLY);
  store<u32>(sk + SK_RCVBUF, load<u32>(r + L4_RMEM_DEFAULT));
  store<u32>(sk + SK_SNDBUF, load<u32>(r + L4_WMEM_DEFAULT));
  store<u8>(sk + SK_MC_TTL, 1);
  store<u8>(sk + SK_PMTUDISC, 1); // IP_PMTUDISC_WANT (ip_no_pmtu_disc 0)
  store<u8>(sk + SK_PMTUDISC6, 1); // IPV6_PMTUDISC_WANT (inet6_create)
  store<u16>(sk + SK_HOPS6, 0);
  store<u8>(sk + SK_TCLASS, 0);
  const c = load<u64>(r + L4_COOKIE);
  store<u64>(sk + SK_COOKIE, c);
  store<u64>(r + L4_COOKIE, c + 1);
  store<u8>(sk + SKX_RAW_PROTO, <u8>raw);
  store<u8>(sk + SKX_HIT, (family == AF_INET6 ? SKH_V6 : 0) | (protocol == IPPROTO_UDPLITE ? SKH_LITE : 0) | (raw != 0 ? SKH_RAW : 0));
  store<u32>(load<u32>(r + L4_IDS) + (id << 2), sk); // published whole
  store<u32>(r + L4_LIVE, load<u32>(r + L4_LIVE) + 1);
  return <i32>id;
}

function skIdFree(r: u32, id: u32): void {
  const n = load<u32>(r + L4_NFREE);
  store<u32>(load<u32>(r + L4_FREE_IDS) + (n << 2), id);
  store<u32>(r + L4_NFREE, n + 1);
}

// ---- Address helpers ----

/** inet_rcv_saddr of an IPv6 socket's 16-byte address at `a`. */
function v4View(a: u32): u32 {
  if (ipv6IsAny(a)) return 0;
  if (load<u32>(a) == 0 && load<u32>(a + 4) == 0 && load<u32>(a + 8) == 0xffff0000) return load<u32>(a + 12);
  return LOOPBACK4_IPV6;
}

@inline function ipv6OnlySock(sk: u32): bool {
  return hasFlag(sk, SKF_IPV6ONLY);
}

/**
 * inet_rcv_saddr_equal(sk, sk2, match_wildcard): do the two sockets' bound addresses collide?
 * ipv6_rcv_saddr_equal when `sk` is IPv6 (an IPv4 sk2 counts as mapped), else ipv4_rcv_saddr_equal.
 */
export function rcvSaddrEqual(sk: u32, sk2: u32, wild: bool): bool {
  if (isV6(sk)) {
    const a1 = sk + SK_RCV_SADDR;
    const t1 = ipv6AddrType(a1);
    const v6b = isV6(sk2);
    const t2 = v6b ? ipv6AddrType(sk2 + SK_RCV_SADDR) : IPV6_ADDR_MAPPED;
    const only1 = ipv6OnlySock(sk);
    const only2 = ipv6OnlySock(sk2);
    if (t1 == IPV6_ADDR_MAPPED && t2 == IPV6_ADDR_MAPPED) {
      if (only2) return false;
      const r1 = load<u32>(sk + SKX_RCV4);
      const r2 = load<u32>(sk2 + SKX_RCV4);
      if (r1 == r2) return true;
      return (wild && r1 == 0) || (wild && r2 == 0);
    }
    if (t1 == IPV6_ADDR_ANY && t2 == IPV6_ADDR_ANY) return true;
    if (t2 == IPV6_ADDR_ANY && wild && !(only2 && t1 == IPV6_ADDR_MAPPED)) return true;
    if (t1 == IPV6_ADDR_ANY && wild && !(only1 && t2 == IPV6_ADDR_MAPPED)) return true;
    if (v6b && ipv6Equal(a1, sk2 + SK_RCV_SADDR)) return true;
    return false;
  }
  if (ipv6OnlySock(sk2)) return false;
  const r1 = load<u32>(sk + SKX_RCV4);
  const r2 = load<u32>(sk2 + SKX_RCV4);
  if (r1 == r2) return true;
  return (wild && r1 == 0) || (wild && r2 == 0);
}

/** inet_rcv_saddr_any */
@inline function rcvSaddrAny(sk: u32): bool {
  return isV6(sk) ? ipv6IsAny(sk + SK_RCV_SADDR) : load<u32>(sk + SKX_RCV4) == 0;
}

// ---- Binding: udp_lib_get_port ----

/**
 * udp_lib_lport_inuse over the port chain of `num`: another socket whose binding collides with `sk`'s
 * (both SO_REUSEADDR, or both SO_REUSEPORT into a group — the same owner — let it through).
 */
function lportInuse(chain: u32, num: u32, sk: u32): bool {
  const reuse = hasFlag(sk, SKF_REUSEADDR);
  const rp = hasFlag(sk, SKF_REUSEPORT);
  const dev = load<u32>(sk + SK_BOUND_DEV_IF);
  let s2 = chain;
  while (s2 != 0) {
    if (s2 != sk && <u32>load<u16>(s2 + SK_NUM) == num && (!hasFlag(s2, SKF_REUSEADDR) || !reuse)) {
      const d2 = load<u32>(s2 + SK_BOUND_DEV_IF);
      if ((d2 == 0 || dev == 0 || d2 == dev) && rcvSaddrEqual(sk, s2, true)) {
        // sk_reuseport_cb is NULL until sk joins a group: while binding, it never has one
        if (!(hasFlag(s2, SKF_REUSEPORT) && rp)) return true;
      }
    }
    s2 = load<u32>(s2 + SKX_NEXT_PORT);
  }
  return false;
}

@inline function portChainHead(t: u32, num: u32): u32 {
  return load<u32>(load<u32>(t + TB_PORT) + (num << 2));
}

function rngNext(r: u32): u32 {
  let x = load<u32>(r + L4_RNG);
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  store<u32>(r + L4_RNG, x);
  return x;
}

/**
 * udp_lib_get_port: bind `sk` to `snum` (0: an ephemeral port as the kernel picks one — a random
 * start in ip_local_port_range, then steps over the range). 0, or -EADDRINUSE.
 */
function getPort(sk: u32, snum: u32): i32 {
  const r = l4Root();
  const t = udpTables(r, <u32>load<u8>(sk + SK_PROTOCOL));
  if (snum == 0) {
    const low = <u32>load<u16>(r + L4_PORT_LOW);
    const high = <u32>load<u16>(r + L4_PORT_HIGH);
    const remaining = high - low + 1;
    const rand = rngNext(r);
    // reciprocal_scale(rand, remaining) + low, then every port once (an odd step is a full cycle of
    // a power-of-two ring; the range is walked as the kernel's odd multiple of the table size does)
    let first = <u32>((<u64>rand * <u64>remaining) >> 32);
    let found: u32 = 0;
    for (let i: u32 = 0; i < remaining; i++) {
      const p = low + (first + i) % remaining;
      if (!lportInuse(portChainHead(t, p), p, sk)) {
        found = p;
        break;
      }
    }
    if (found == 0) return -EADDRINUSE;
    snum = found;
  } else if (lportInuse(portChainHead(t, snum), snum, sk)) {
    return -EADDRINUSE;
  }
  store<u16>(sk + SK_NUM, <u16>snum);
  if (hasFlag(sk, SKF_REUSEPORT)) {
    if (reuseportAdd(sk, t) != 0) {
      store<u16>(sk + SK_NUM, 0);
      return -EADDRINUSE;
    }
  }
  hashInsert(sk, t);
  return 0;
}

/** udp_reuseport_add_sock: join the group of an equal binding, or start one. 0 or -ENOMEM. */
function reuseportAdd(sk: u32, t: u32): i32 {
  const num = <u32>load<u16>(sk + SK_NUM);
  let s2 = portChainHead(t, num);
  while (s2 != 0) {
    if (s2 != sk && load<u8>(s2 + SK_FAMILY) == load<u8>(sk + SK_FAMILY) && ipv6OnlySock(s2) == ipv6OnlySock(sk) &&
      <u32>load<u16>(s2 + SK_NUM) == num && load<u32>(s2 + SK_BOUND_DEV_IF) == load<u32>(sk + SK_BOUND_DEV_IF) &&
      hasFlag(s2, SKF_REUSEPORT) && load<u32>(s2 + SK_REUSEPORT_GROUP) != 0 && rcvSaddrEqual(sk, s2, false)) {
      return groupAdd(load<u32>(s2 + SK_REUSEPORT_GROUP), sk);
    }
    s2 = load<u32>(s2 + SKX_NEXT_PORT);
  }
  const g = rc_alloc_packed(RG_SIZE); // packed: a lookup reads thousands of groups, not their members' pages
  if (g == 0) return -ENOMEM;
  const r = l4Root();
  store<u32>(g + RG_CAP, RG_INLINE_CAP);
  store<u32>(g + RG_SOCKS, g + RG_INLINE);
  const gid = load<u32>(r + L4_RG_ID);
  store<u32>(r + L4_RG_ID, gid + 1);
  store<u32>(g + RG_ID, gid);
  store<u32>(g + RG_BIND_INANY, rcvSaddrAny(sk) ? 1 : 0);
  // the key of every member to come: the joining ones are equal in it (the loop above)
  store<u32>(g + RG_RCV4, load<u32>(sk + SKX_RCV4));
  store<u16>(g + RG_PORT, <u16>num);
  store<u8>(g + RG_V6ONLY, ipv6OnlySock(sk) ? 1 : 0);
  store<u32>(g + RG_DEV, load<u32>(sk + SK_BOUND_DEV_IF));
  if (load<u32>(sk + SK_BOUND_DEV_IF) != 0) groupSlowSet(g, RGS_DEV, true);
  copyBytes(g + RG_RCV6, sk + SK_RCV_SADDR, 16);
  store<u8>(g + RG_SK6, isV6(sk) ? 1 : 0);
  store<u16>(g + RG_ID6, <u16>groupId6(r, sk));
  return groupAdd(g, sk);
}

/** inet_daddr's IPv4 view, and its mirror in line 1 (SKX_HIT) for the enqueue. */
function daddr4Set(sk: u32, v: u32): void {
  store<u32>(sk + SKX_DADDR4, v);
  const h = load<u8>(sk + SKX_HIT);
  store<u8>(sk + SKX_HIT, v != 0 ? h | SKH_PEER : h & ~SKH_PEER);
}

/** A member's address or device changed: the group's key no longer holds for all (RGS_MIXED). */
function groupKeyChanged(sk: u32): void {
  const g = load<u32>(sk + SK_REUSEPORT_GROUP);
  if (g == 0) return;
  groupSlowSet(g, RGS_MIXED, true);
  groupPublish(g, sk); // sk still on the chain of the key it leaves
}

/** Set or clear `bit` of group `g`'s RG_SLOW, after the field it mirrors. */
export function groupSlowSet(g: u32, bit: u8, on: bool): void {
  const v = load<u8>(g + RG_SLOW);
  store<u8>(g + RG_SLOW, on ? v | bit : v & ~bit);
  groupPublish(g, 0);
}

/**
 * RG_ID6 for a group whose members are bound as `sk` is: ID6_ANY for an AF_INET6 socket on ::, its
 * address's id for a native IPv6 address (0 when none is left), 0 for a v4-mapped one or an AF_INET socket
 * (an IPv6 datagram never matches those in the lean receive: it takes no v4-mapped destination).
 */
function groupId6(r: u32, sk: u32): u32 {
  if (!isV6(sk)) return 0;
  const v4 = load<u32>(sk + SKX_RCV4);
  if (v4 == 0) return ipv6IsAny(sk + SK_RCV_SADDR) ? ID6_ANY : 0;
  return v4 == LOOPBACK4_IPV6 ? addr6Intern(r, sk + SK_RCV_SADDR) : 0;
}

/** The id of the IPv6 address at `addr` in root `r`'s table, given now if it has none; 0 when none is left. */
function addr6Intern(r: u32, addr: u32): u32 {
  let t = load<u32>(r + L4_ADDR6);
  if (t == 0) {
    t = rc_alloc(A6_SLOTS * A6_SIZE);
    if (t == 0) return 0;
    fillBytes(t, 0, A6_SLOTS * A6_SIZE);
    store<u32>(r + L4_ADDR6, t);
  }
  const id = addr6Id(t, addr);
  if (id != ID6_NONE) return id;
  const n = load<u32>(r + L4_ADDR6_N);
  if (n == A6_MAX) return 0;
  let i = addrHash6(addr) & (A6_SLOTS - 1);
  while (load<u32>(t + i * A6_SIZE + A6_ID) != 0) i = (i + 1) & (A6_SLOTS - 1);
  const e = t + i * A6_SIZE;
  copyBytes(e + A6_ADDR, addr, 16);
  // the address before the id that makes the entry live (a reader seeing the id sees the address)
  if (ASC_FEATURE_THREADS) atomic.store<u32>(e + A6_ID, n + ID6_ANY + 1);
  else store<u32>(e + A6_ID, n + ID6_ANY + 1);
  store<u32>(r + L4_ADDR6_N, n + 1);
  return n + ID6_ANY + 1;
}

/** The L4 root's IPv6 address ids (0: none made yet), for addr6Id. */
@inline export function addr6Table(r: u32): u32 {
  return load<u32>(r + L4_ADDR6);
}

/** The id of the IPv6 address at `addr` in table `t` (addr6Table, not 0), ID6_NONE when it has none. */
export function addr6Id(t: u32, addr: u32): u32 {
  let i = addrHash6(addr) & (A6_SLOTS - 1);
  const a0 = load<u64>(addr);
  const a1 = load<u64>(addr, 8);
  // (at most half the slots are taken, A6_MAX: a free one ends every probe)
  for (let n: u32 = 0; n < A6_SLOTS; n++) {
    const e = t + i * A6_SIZE;
    const id = ASC_FEATURE_THREADS ? atomic.load<u32>(e + A6_ID) : load<u32>(e + A6_ID);
    if (id == 0) break;
    if (load<u64>(e + A6_ADDR) == a0 && load<u64>(e + A6_ADDR + 8) == a1) return id;
    i = (i + 1) & (A6_SLOTS - 1);
  }
  return ID6_NONE;
}

/** num_socks of group `g`. */
@inline export function rgNum(g: u32): u32 {
  return <u32>load<u16>(g + RG_NUM);
}

function groupAdd(g: u32, sk: u32): i32 {
  const n = rgNum(g);
  // reuseport_add_sock: full and not to grow (reuseport_grow's NULL): -ENOMEM, which udp_lib_get_port
  // turns into bind's EADDRINUSE
  if (n == RG_MAX) return -ENOMEM;
  let cap = load<u32>(g + RG_CAP);
  let a = load<u32>(g + RG_SOCKS);
  if (n == cap) {
    // grown aside, published whole, the old array retired: a reader sees the old one or the new one
    const na = rc_alloc(cap * 8);
    if (na == 0) return -ENOMEM;
    copyBytes(na, a, cap * 4);
    store<u32>(g + RG_SOCKS, na);
    store<u32>(g + RG_CAP, cap * 2);
    if (a != g + RG_INLINE) rc_retire(a, cap * 4);
    a = na;
    cap *= 2;
  }
  store<u32>(a + (n << 2), sk);
  store<u32>(sk + SK_REUSEPORT_INDEX, n);
  store<u32>(sk + SK_REUSEPORT_GROUP, g);
  store<u16>(g + RG_NUM, <u16>(n + 1)); // the member is in place before the count lets readers see it
  groupPublish(g, sk);
  return 0;
}

/** reuseport_detach_sock: the last member takes the leaver's place (as the kernel's). */
function groupLeave(sk: u32): void {
  const g = load<u32>(sk + SK_REUSEPORT_GROUP);
  if (g == 0) return;
  const n = rgNum(g);
  const a = load<u32>(g + RG_SOCKS);
  const i = load<u32>(sk + SK_REUSEPORT_INDEX);
  const last = load<u32>(a + ((n - 1) << 2));
  store<u32>(a + (i << 2), last);
  store<u32>(last + SK_REUSEPORT_INDEX, i);
  store<u16>(g + RG_NUM, <u16>(n - 1));
  store<u32>(sk + SK_REUSEPORT_GROUP, 0);
  groupPublish(g, sk); // the slot's copy; the head's group too, when it is the head
  if (n == 1) {
    if (a != g + RG_INLINE) rc_retire(a, load<u32>(g + RG_CAP) * 4);
    rc_retire_packed(g, RG_SIZE);
  }
}

// ---- Hashing ----

function hash2Of(sk: u32): u32 {
  return portaddrHash2(isV6(sk), sk + SK_RCV_SADDR, load<u32>(sk + SKX_RCV4), <u32>load<u16>(sk + SK_NUM)) & (H2_SLOTS - 1);
}

function hashInsert(sk: u32, t: u32): void {
  const num = <u32>load<u16>(sk + SK_NUM);
  const ph = load<u32>(t + TB_PORT) + (num << 2);
  store<u32>(sk + SKX_NEXT_PORT, load<u32>(ph));
  store<u32>(ph, sk);
  hash2Link(sk, t);
  store<u8>(sk + SKX_HASHED, load<u8>(sk + SKX_HASHED) | 1);
}

function hash2Link(sk: u32, t: u32): void {
  const h = hash2Of(sk);
  store<u32>(sk + SKX_HASH2, h);
  const slot = load<u32>(t + TB_HASH2) + (h << H2_SHIFT);
  store<u32>(sk + SKX_NEXT2, 0);
  if (hasFlag(sk, SKF_REUSEPORT) && isV6(sk) && load<u32>(slot + H2_HEAD) != 0) {
    // hlist_add_tail_rcu for an IPv6 reuseport socket
    let p = load<u32>(slot + H2_HEAD);
    while (load<u32>(p + SKX_NEXT2) != 0) p = load<u32>(p + SKX_NEXT2);
    store<u32>(p + SKX_NEXT2, sk);
  } else {
    store<u32>(sk + SKX_NEXT2, load<u32>(slot + H2_HEAD));
    h2Set(slot, sk); // one store links it; its next was written first
  }
}

/** The hash2 slot `sk` is chained in (it is hashed). */
function h2Slot(sk: u32): u32 {
  const t = udpTables(l4Root(), <u32>load<u8>(sk + SK_PROTOCOL));
  return load<u32>(t + TB_HASH2) + (load<u32>(sk + SKX_HASH2) << H2_SHIFT);
}

/**
 * The slot's head becomes `head`, with its group, in one store (a reader of the pair sees the old one or
 * the new), and the group's copy (H2_*) with it under the slot's sequence count (write_seqcount_begin /
 * _end: a reader of the copy sees one version whole or knows it did not).
 */
function h2Set(slot: u32, head: u32): void {
  const g = head != 0 ? load<u32>(head + SK_REUSEPORT_GROUP) : 0;
  const seq = load<u32>(slot + H2_SEQ);
  // the count odd before any field changes (smp_wmb: wasm's atomics are sequentially consistent, and V8
  // keeps the plain stores after it after it, as the reader's loads: h2SeqRetry)
  if (ASC_FEATURE_THREADS) atomic.store<u32>(slot + H2_SEQ, seq + 1);
  else store<u32>(slot + H2_SEQ, seq + 1);
  store<u64>(slot + H2_HEAD, <u64>head | (<u64>g << 32));
  const n = g != 0 ? rgNum(g) : 0;
  store<u16>(slot + H2_NUM, <u16>n);
  if (g != 0) {
    store<u16>(slot + H2_ID6, load<u16>(g + RG_ID6));
    store<u64>(slot + H2_KEY, load<u64>(g + RG_RCV4));
    const a = load<u32>(g + RG_SOCKS);
    store<u32>(slot + H2_SOCKS, a);
    const m = n < H2_INLINE ? n : H2_INLINE;
    for (let i: u32 = 0; i < m; i++) {
      const sk = load<u32>(a + (i << 2));
      const v = sk < H2_MEMBER_REACH ? sk >> 6 : 0;
      store<u16>(slot + H2_MEMBERS + i * 3, <u16>v);
      store<u8>(slot + H2_MEMBERS + i * 3 + 2, <u8>(v >> 16));
    }
  }
  // smp_wmb then the count even: the fields are written before it (a wasm atomic store is sequentially
  // consistent: the stores before it are visible first)
  if (ASC_FEATURE_THREADS) atomic.store<u32>(slot + H2_SEQ, seq + 2);
  else store<u32>(slot + H2_SEQ, seq + 2);
}

/** Records below this are copied into a slot as members (3 bytes of address >> 6); others as 0. */
const H2_MEMBER_REACH: u32 = 1 << 30;

/**
 * Member `x` (< H2_INLINE) of the copy in hash2 slot `slot`: its record, 0 when it was past the copy's
 * reach (the full path decides). One u32 load whose top three bytes are the member's (the byte below
 * it, the key's last or the member before's, shifted out): member 15's ends at byte 63, in line 0.
 */
@inline export function h2Member(slot: u32, x: u32): u32 {
  return (load<u32>(slot + H2_MEMBERS - 1 + x * 3) >> 8) << 6;
}

/**
 * read_seqcount_begin of hash2 slot `slot`'s copy (H2_*): the count to give h2SeqRetry after reading it.
 * An atomic load (acquire; the reads after it are not made before it). The single-thread build reads
 * nothing: its one thread writes a copy whole (h2Set) between a reader's bursts, never during one.
 */
@inline export function h2SeqBegin(slot: u32): u32 {
  return ASC_FEATURE_THREADS ? atomic.load<u32>(slot + H2_SEQ) : 0;
}

/**
 * read_seqcount_retry: the copy of `slot` read since h2SeqBegin gave `seq` may be torn (the count was odd
 * or has moved). The second read is atomic too: wasm's atomics are sequentially consistent and V8 keeps
 * memory accesses in program order around them (the reads of the copy are made before it, smp_rmb).
 */
@inline export function h2SeqRetry(slot: u32, seq: u32): bool {
  if (!ASC_FEATURE_THREADS) return false;
  const now = atomic.load<u32>(slot + H2_SEQ);
  return ((seq & 1) | (now ^ seq)) != 0;
}

/**
 * Group `g`'s line 0 changed (its count, members, array or RG_SLOW), `sk` a member or the leaver: the
 * copy of the slot it is named in written again. Until a member's key changes (RGS_MIXED, set before the
 * member moves) all of them are on the chain of the group's key: the slot of any hashed one of them.
 */
function groupPublish(g: u32, sk: u32): void {
  const n = rgNum(g);
  const m0 = n != 0 ? load<u32>(load<u32>(g + RG_SOCKS)) : 0;
  if (m0 != 0 && (load<u8>(m0 + SKX_HASHED) & 1) != 0) h2Publish(h2Slot(m0));
  if (sk != 0 && sk != m0 && (load<u8>(sk + SKX_HASHED) & 1) != 0) h2Publish(h2Slot(sk));
}

/** The slot's pair again from its head (the head's group changed). */
function h2Publish(slot: u32): void {
  h2Set(slot, load<u32>(slot + H2_HEAD));
}

/** Unlink `sk` from its hash2 chain at `slot`: the head's pair in one store, a later link as chainUnlink. */
function hash2Unlink(slot: u32, sk: u32): void {
  if (load<u32>(slot + H2_HEAD) == sk) h2Set(slot, load<u32>(sk + SKX_NEXT2));
  else chainUnlink(slot + H2_HEAD, sk, SKX_NEXT2);
}

/** Unlink `sk` from the singly-linked chain at `slot` threaded through `off`. */
function chainUnlink(slot: u32, sk: u32, off: u32): void {
  let p = slot;
  while (load<u32>(p) != 0) {
    if (load<u32>(p) == sk) {
      store<u32>(p, load<u32>(sk + off)); // one store: a reader on sk still finds its next
      return;
    }
    p = load<u32>(p) + off;
  }
}

function hash4Link(sk: u32, t: u32): void {
  const h = hash4Of(sk) & (H4_SLOTS - 1);
  store<u32>(sk + SKX_HASH4, h);
  const slot = load<u32>(t + TB_HASH4) + (h << 2);
  store<u32>(sk + SKX_NEXT4, load<u32>(slot));
  store<u32>(slot, sk);
  store<u8>(sk + SKX_HASHED, load<u8>(sk + SKX_HASHED) | 2);
  store<u32>(t + TB_CONNECTED, load<u32>(t + TB_CONNECTED) + 1);
}

function hash4Unlink(sk: u32, t: u32): void {
  if ((load<u8>(sk + SKX_HASHED) & 2) == 0) return;
  chainUnlink(load<u32>(t + TB_HASH4) + (load<u32>(sk + SKX_HASH4) << 2), sk, SKX_NEXT4);
  store<u8>(sk + SKX_HASHED, load<u8>(sk + SKX_HASHED) & ~2);
  store<u32>(t + TB_CONNECTED, load<u32>(t + TB_CONNECTED) - 1);
}

function hash4Of(sk: u32): u32 {
  const v6 = isV6(sk);
  return portHash4(v6, sk + SK_RCV_SADDR, load<u32>(sk + SKX_RCV4), <u32>load<u16>(sk + SK_NUM),
    sk + SK_DADDR, load<u32>(sk + SKX_DADDR4), <u32>load<u16>(sk + SK_DPORT));
}

/** udp_lib_unhash: out of every table and its reuseport group. */
function unhash(sk: u32): void {
  if ((load<u8>(sk + SKX_HASHED) & 1) == 0) return;
  const t = udpTables(l4Root(), <u32>load<u8>(sk + SK_PROTOCOL));
  hash4Unlink(sk, t);
  groupLeave(sk);
  chainUnlink(load<u32>(t + TB_PORT) + (<u32>load<u16>(sk + SK_NUM) << 2), sk, SKX_NEXT_PORT);
  hash2Unlink(load<u32>(t + TB_HASH2) + (load<u32>(sk + SKX_HASH2) << H2_SHIFT), sk);
  store<u8>(sk + SKX_HASHED, 0);
}

/** udp_lib_rehash: the bound address changed (connect chose one): move in hash2 (and hash4). */
function rehash(sk: u32): void {
  if ((load<u8>(sk + SKX_HASHED) & 1) == 0) return;
  const t = udpTables(l4Root(), <u32>load<u8>(sk + SK_PROTOCOL));
  groupKeyChanged(sk);
  hash2Unlink(load<u32>(t + TB_HASH2) + (load<u32>(sk + SKX_HASH2) << H2_SHIFT), sk);
  hash2Link(sk, t);
}

// ---- Bind ----

export function sk_bind(id: u32, addr: u32, port: u32, scopeId: u32): i32 {
  const sk = liveSock(id);
  if (sk == 0) return -EBADF;
  if (port > 0xffff) return -EINVAL;
  if (<u32>load<u8>(sk + SKX_RAW_PROTO) != 0) return -EINVAL;
  const r = l4Root();
  const scratch = r + 96; // 16 bytes of the root's spare room: the address being bound
  if (addr == 0) fillBytes(scratch, 0, 16);
  else copyBytes(scratch, addr, 16);
  if (<u32>load<u8>(sk + SK_STATE) != TCP_CLOSE || load<u16>(sk + SK_NUM) != 0) return -EINVAL;
  let v4: u32 = 0;
  let chk: u32 = 0;
  let only = false;
  if (!isV6(sk)) {
    v4 = load<u32>(scratch);
    fillBytes(scratch + 4, 0, 12);
    // inet_addr_type_table (the local table), then inet_addr_valid_or_nonlocal
    chk = fib4_local_type(v4, 0);
    if (v4 != 0 && chk != RTN_LOCAL && chk != RTN_MULTICAST && chk != RTN_BROADCAST) return -EADDRNOTAVAIL;
  } else {
    const type = ipv6AddrType(scratch);
    if (type == IPV6_ADDR_MAPPED) {
      if (ipv6OnlySock(sk)) return -EINVAL;
      v4 = load<u32>(scratch + 12);
      chk = fib4_local_type(v4, 0);
      if (v4 != 0 && chk != RTN_LOCAL && chk != RTN_MULTICAST && chk != RTN_BROADCAST) return -EADDRNOTAVAIL;
    } else {
      if (type != IPV6_ADDR_ANY) {
        let dev = load<u32>(sk + SK_BOUND_DEV_IF);
        if ((type & IPV6_ADDR_LINKLOCAL) != 0) {
          if (scopeId != 0) dev = scopeId;
          if (dev == 0) return -EINVAL;
        }
        if (dev != 0 && netdevGet(dev) == 0) return -ENODEV;
        // ipv6_chk_addr(net, addr, dev, 0): ours (a local route), and a host- or link-scope one only on
        // the bound device
        if ((type & IPV6_ADDR_MULTICAST) == 0 && !(ipv6IsLocal(scratch, dev, false) && ipv6_chk_addr_bind(scratch, dev))) return -EADDRNOTAVAIL;
        if ((type & IPV6_ADDR_LINKLOCAL) != 0) store<u32>(sk + SK_BOUND_DEV_IF, dev);
        v4 = LOOPBACK4_IPV6;
        only = true;
      }
    }
  }
  copyBytes(sk + SK_RCV_SADDR, scratch, 16);
  store<u32>(sk + SKX_RCV4, v4);
  if (isV6(sk)) {
    if ((ipv6AddrType(scratch) & IPV6_ADDR_MULTICAST) == 0) copyBytes(sk + SKX_V6_SADDR, scratch, 16);
    copyBytes(sk + SK_SADDR, sk + SKX_V6_SADDR, 16);
  } else {
    store<u32>(sk + SK_SADDR, chk == RTN_MULTICAST || chk == RTN_BROADCAST ? 0 : v4);
  }
  const savedOnly = ipv6OnlySock(sk);
  if (only) setFlag(sk, SKF_IPV6ONLY, true);
  const err = getPort(sk, port);
  if (err != 0) {
    setFlag(sk, SKF_IPV6ONLY, savedOnly);
    fillBytes(sk + SK_RCV_SADDR, 0, 16);
    fillBytes(sk + SK_SADDR, 0, 16);
    fillBytes(sk + SKX_V6_SADDR, 0, 16);
    store<u32>(sk + SKX_RCV4, 0);
    return -EADDRINUSE;
  }
  let locks = load<u8>(sk + SKX_USERLOCKS);
  if (!rcvSaddrAny(sk)) locks |= SOCK_BINDADDR_LOCK;
  if (port != 0) locks |= SOCK_BINDPORT_LOCK;
  store<u8>(sk + SKX_USERLOCKS, locks);
  return 0;
}

/** inet_autobind: bind `sk` (a record) to an ephemeral port on the wildcard address. 0 or -errno. */
export function sk_autobind(sk: u32): i32 {
  if (sk == 0 || (load<u8>(sk + SK_FLAGS) & <u8>SKF_DEAD) != 0) return -EBADF;
  if (load<u16>(sk + SK_NUM) != 0) return 0;
  return getPort(sk, 0) == 0 ? 0 : -EAGAIN;
}

// ---- Connect / disconnect ----

export function sk_connect(id: u32, addr: u32, port: u32, scopeId: u32): i32 {
  const sk = liveSock(id);
  if (sk == 0) return -EBADF;
  if (addr == 0 || port > 0xffff || <u32>load<u8>(sk + SKX_RAW_PROTO) != 0) return -EINVAL;
  if (load<u16>(sk + SK_NUM) == 0 && sk_autobind(sk) != 0) return -EAGAIN;
  const t = udpTables(l4Root(), <u32>load<u8>(sk + SK_PROTOCOL));
  const v6 = isV6(sk);
  let d4: u32 = 0;
  let v4dst = !v6;
  if (v6 && ipv6IsAny(addr)) {
    // __ip6_datagram_connect: :: is the host itself (connect to self), in the family of the bound
    // address: ::ffff:127.0.0.1 for a socket bound to a v4-mapped one, else ::1. The caller's copy of
    // the address is rewritten, as the kernel rewrites its copy of the sockaddr.
    if (ipv6IsV4Mapped(sk + SK_RCV_SADDR)) {
      store<u32>(addr + 8, 0xffff0000);
      store<u32>(addr + 12, INADDR_LOOPBACK);
    } else store<u8>(addr + 15, 1);
  }
  if (v6 && ipv6IsV4Mapped(addr)) {
    if (ipv6OnlySock(sk)) return -ENETUNREACH;
    v4dst = true;
  }
  if (v4dst) {
    d4 = v6 ? load<u32>(addr + 12) : load<u32>(addr);
    // ip_route_connect: the route from the socket's source out of its bound device (IP_MULTICAST_IF's
    // to a group), the source it gives
    const err = udpRoute4(sk, d4, port, v6);
    if (err != 0) return err;
    const s = udpRouteSource4();
    if (d4 == 0) d4 = udpRouteDest4(); // no destination: the host itself (fl4->daddr)
    hash4Unlink(sk, t);
    if (load<u32>(sk + SKX_RCV4) == 0) {
      store<u32>(sk + SKX_RCV4, s);
      if (v6) {
        fillBytes(sk + SK_RCV_SADDR, 0, 8);
        store<u32>(sk + SK_RCV_SADDR + 8, 0xffff0000);
        store<u32>(sk + SK_RCV_SADDR + 12, s);
      } else store<u32>(sk + SK_RCV_SADDR, s);
      rehash(sk);
    }
    if (v6) {
      fillBytes(sk + SK_DADDR, 0, 8);
      store<u32>(sk + SK_DADDR + 8, 0xffff0000);
      store<u32>(sk + SK_DADDR + 12, d4);
      fillBytes(sk + SK_SADDR, 0, 8);
      store<u32>(sk + SK_SADDR + 8, 0xffff0000);
      store<u32>(sk + SK_SADDR + 12, s);
    } else {
      store<u32>(sk + SK_DADDR, d4);
      if (load<u32>(sk + SK_SADDR) == 0) store<u32>(sk + SK_SADDR, s);
    }
    daddr4Set(sk, d4);
  } else {
    // __ip6_datagram_connect: a peer that needs a scope (__ipv6_addr_needs_scope_id) takes the device it
    // names (sk_dev_equal_l3scope: none bound, or that one), else the multicast interface for a group;
    // connecting to one needs a device
    const type = ipv6AddrType(addr);
    if (ipv6NeedsScopeId(type)) {
      const was = load<u32>(sk + SK_BOUND_DEV_IF);
      let dev = was;
      if (scopeId != 0) {
        if (was != 0 && was != scopeId) return -EINVAL;
        dev = scopeId;
      }
      if (dev == 0 && (type & IPV6_ADDR_MULTICAST) != 0) dev = mcOif(load<u32>(sk + SKX_MCAST), true);
      if (dev != was) {
        groupKeyChanged(sk);
        store<u32>(sk + SK_BOUND_DEV_IF, dev);
      }
      if (dev == 0) return -EINVAL;
    }
    // ip6_datagram_connect: a native IPv6 peer; the source from the route (RFC 6724) when unbound
    const src = r6Scratch();
    copyBytes(src, sk + SKX_V6_SADDR, 16);
    const local = ipv6IsLocal(addr, 0, false);
    const bound = load<u32>(sk + SK_BOUND_DEV_IF);
    if (!local) {
      // ip6_datagram_flow_key_init: the flow carries the socket's port and the peer's, which the
      // multipath hash reads under policy 1 — the next hop, and so the source, is the one later sends take
      const sport = <u32>bswap<u16>(load<u16>(sk + SK_NUM));
      const dport = <u32>bswap<u16>(<u16>port);
      if (!ip6_route_output(addr, src, <u32>load<u8>(sk + SK_PROTOCOL), 0, 0, bound, bound != 0, false, sport, dport, 0)) return -ENETUNREACH;
    } else {
      // a local peer's route is its address's local route, on the device that has the address: a socket
      // bound to another device has none (RT6_LOOKUP_F_IFACE)
      if (bound != 0 && ipv6_chk_addr(bound, addr, false) == 0) return -ENETUNREACH;
      if (ipv6IsAny(src)) copyBytes(src, addr, 16);
    }
    // ip6_dst_lookup_tail: a v4-mapped source reaches no native IPv6 peer (after the route's own error)
    if (ipv6IsV4Mapped(src)) return -EAFNOSUPPORT;
    hash4Unlink(sk, t);
    if (ipv6IsAny(sk + SK_RCV_SADDR)) {
      copyBytes(sk + SK_RCV_SADDR, src, 16);
      store<u32>(sk + SKX_RCV4, LOOPBACK4_IPV6);
      rehash(sk);
    }
    copyBytes(sk + SKX_V6_SADDR, src, 16);
    copyBytes(sk + SK_SADDR, src, 16);
    copyBytes(sk + SK_DADDR, addr, 16);
    daddr4Set(sk, LOOPBACK4_IPV6);
  }
  store<u16>(sk + SK_DPORT, <u16>port);
  const g = load<u32>(sk + SK_REUSEPORT_GROUP);
  if (g != 0) {
    store<u32>(g + RG_HAS_CONNS, 1);
    groupSlowSet(g, RGS_CONNS, true);
  }
  store<u8>(sk + SK_STATE, <u8>TCP_ESTABLISHED);
  hash4Link(sk, t);
  return 0;
}

@inline function r6Scratch(): u32 {
  return l4Root() + 112;
}

export function sk_disconnect(id: u32): i32 {
  const sk = liveSock(id);
  if (sk == 0) return -EBADF;
  if (<u32>load<u8>(sk + SKX_RAW_PROTO) != 0) return 0;
  const t = udpTables(l4Root(), <u32>load<u8>(sk + SK_PROTOCOL));
  hash4Unlink(sk, t);
  store<u8>(sk + SK_STATE, <u8>TCP_CLOSE);
  fillBytes(sk + SK_DADDR, 0, 16);
  daddr4Set(sk, 0);
  store<u16>(sk + SK_DPORT, 0);
  const locks = load<u8>(sk + SKX_USERLOCKS);
  groupKeyChanged(sk); // the device or the address may change below
  if ((locks & SOCK_BINDIF_LOCK) == 0) store<u32>(sk + SK_BOUND_DEV_IF, 0);
  if ((locks & SOCK_BINDADDR_LOCK) == 0) {
    fillBytes(sk + SK_RCV_SADDR, 0, 16);
    fillBytes(sk + SK_SADDR, 0, 16);
    fillBytes(sk + SKX_V6_SADDR, 0, 16);
    store<u32>(sk + SKX_RCV4, 0);
    if ((locks & SOCK_BINDPORT_LOCK) != 0) rehash(sk);
  }
  if ((locks & SOCK_BINDPORT_LOCK) == 0) {
    unhash(sk);
    store<u16>(sk + SK_NUM, 0);
  }
  return 0;
}

// ---- Close ----

export function sk_close(id: u32): i32 {
  const sk = liveSock(id);
  if (sk == 0) return -EBADF;
  const r = l4Root();
  const raw = <u32>load<u8>(sk + SKX_RAW_PROTO);
  if (raw != 0) net_proto_raw(isV6(sk) ? AF_INET6 : AF_INET, raw, 0);
  unhash(sk);
  mcSockClose(sk + SKX_MCAST); // ip_mc_drop_socket / ipv6_sock_mc_close
  // sock_map_close: out of every socket map before the id can be given again
  sk_prog_sock_closed(id);
  setFlag(sk, SKF_DEAD, true);
  store<u8>(sk + SKX_HIT, load<u8>(sk + SKX_HIT) | SKH_DEAD);
  // the queue's frames go back now; a worker mid-enqueue finishes first (the lock), a later one sees SKF_DEAD
  spinLock(sk + SK_LOCK);
  let f = load<u32>(sk + SKX_QHEAD);
  while (f != 0) {
    const next = load<u32>(f + QR_NEXT);
    netFree(load<u32>(f + QR_Q), f);
    heldDec();
    f = next;
  }
  store<u32>(sk + SKX_QHEAD, 0);
  store<u32>(sk + SKX_QTAIL, 0);
  store<u32>(sk + SKX_QLEN, 0);
  store<u32>(sk + SK_RMEM, 0);
  spinUnlock(sk + SK_LOCK);
  store<u32>(load<u32>(r + L4_IDS) + (id << 2), 0);
  skIdFree(r, id);
  store<u32>(r + L4_LIVE, load<u32>(r + L4_LIVE) - 1);
  rc_retire(sk, SK_SIZE); // readers that found it before the unlink may still score it
  return 0;
}

// ---- Options ----

export function sk_setsockopt(id: u32, opt: u32, val: i32): i32 {
  const sk = liveSock(id);
  if (sk == 0) return -EBADF;
  const r = l4Root();
  const on = val != 0;
  // IPv6-level options on an AF_INET socket: ip_setsockopt knows no such level
  if ((opt >> 8) == 41 && !isV6(sk)) return -ENOPROTOOPT;
  switch (opt) {
    case SKO_SO_REUSEADDR: setFlag(sk, SKF_REUSEADDR, on); return 0;
    case SKO_SO_REUSEPORT: setFlag(sk, SKF_REUSEPORT, on); return 0;
    case SKO_SO_BROADCAST: setFlag(sk, SKF_BROADCAST, on); return 0;
    case SKO_SO_NO_CHECK: setFlag(sk, SKF_NO_CHECK_TX, on); return 0;
    case SKO_SO_RCVBUF: {
      // __sock_set_rcvbuf(min(val, rmem_max)): twice what was asked, at least SOCK_MIN_RCVBUF
      let v = <u32>val;
      if (val < 0) v = 0;
      const mx = load<u32>(r + L4_RMEM_MAX);
      if (v > mx) v = mx;
      store<u32>(sk + SK_RCVBUF, max(v * 2, SOCK_MIN_RCVBUF));
      store<u8>(sk + SKX_USERLOCKS, load<u8>(sk + SKX_USERLOCKS) | SOCK_RCVBUF_LOCK);
      return 0;
    }
    case SKO_SO_SNDBUF: {
      let v = <u32>val;
      if (val < 0) v = 0;
      const mx = load<u32>(r + L4_WMEM_MAX);
      if (v > mx) v = mx;
      store<u32>(sk + SK_SNDBUF, max(v * 2, SOCK_MIN_SNDBUF));
      store<u8>(sk + SKX_USERLOCKS, load<u8>(sk + SKX_USERLOCKS) | SOCK_SNDBUF_LOCK);
      return 0;
    }
    case SKO_SO_BINDTODEVICE: {
      if (val < 0) return -EINVAL;
      if (val != 0 && netdevGet(<u32>val) == 0) return -ENODEV;
      store<u32>(sk + SK_BOUND_DEV_IF, <u32>val);
      store<u8>(sk + SKX_USERLOCKS, load<u8>(sk + SKX_USERLOCKS) | SOCK_BINDIF_LOCK);
      if ((load<u8>(sk + SKX_HASHED) & 1) != 0) rehash(sk); // sk_dst_reset; the chains do not depend on it
      return 0;
    }
    case SKO_SO_MARK: store<u32>(sk + SK_MARK, <u32>val); return 0;
    // IP_TTL / IP_TOS (inet->uc_ttl, inet->tos) and IPV6_UNICAST_HOPS / IPV6_TCLASS (np->hop_limit,
    // np->tclass) are two pairs: an IPv6 socket's v4-mapped sends take the IP_ ones (udp_sendmsg)
    case SKO_IP_TTL: {
      // -1: the sysctl's default; 1-255
      if (val == -1) { store<u8>(sk + SK_TTL, 0); return 0; }
      if (val < 1 || val > 255) return -EINVAL;
      store<u8>(sk + SK_TTL, <u8>val);
      return 0;
    }
    case SKO_IPV6_UNICAST_HOPS: {
      // -1: the route device's hop_limit; 0-255 (0 sent as 0)
      if (val < -1 || val > 255) return -EINVAL;
      store<u16>(sk + SK_HOPS6, <u16>(val + 1));
      return 0;
    }
    case SKO_IP_TOS: {
      // do_ip_setsockopt: no range check, the low byte kept (inet->tos is a u8; a datagram socket keeps
      // the ECN bits too)
      store<u8>(sk + SK_TOS, <u8>val);
      return 0;
    }
    case SKO_IPV6_TCLASS: {
      // RFC 3542 6.5: -1 is the default, 0
      if (val < -1 || val > 0xff) return -EINVAL;
      store<u8>(sk + SK_TCLASS, <u8>(val == -1 ? 0 : val));
      return 0;
    }
    case SKO_IP_MULTICAST_TTL: {
      if (val == -1) val = 1;
      if (val < 0 || val > 255) return -EINVAL;
      store<u8>(sk + SK_MC_TTL, <u8>val);
      return 0;
    }
    case SKO_IPV6_DONTFRAG: {
      if (!isV6(sk)) return -ENOPROTOOPT;
      const f6 = <u32>load<u8>(sk + SK_FLAGS6);
      store<u8>(sk + SK_FLAGS6, <u8>(on ? f6 | SK6F_DONTFRAG : f6 & ~SK6F_DONTFRAG));
      return 0;
    }
    case SKO_IPV6_MTU_DISCOVER:
    case SKO_IP_MTU_DISCOVER: {
      if (opt == SKO_IPV6_MTU_DISCOVER && !isV6(sk)) return -ENOPROTOOPT;
      if (val < 0 || val > 5) return -EINVAL;
      store<u8>(sk + (opt == SKO_IPV6_MTU_DISCOVER ? SK_PMTUDISC6 : SK_PMTUDISC), <u8>val);
      return 0;
    }
    case SKO_IPV6_V6ONLY: {
      if (!isV6(sk)) return -ENOPROTOOPT;
      if (load<u16>(sk + SK_NUM) != 0) return -EINVAL; // inet_num set: too late
      setFlag(sk, SKF_IPV6ONLY, on);
      return 0;
    }
    case SKO_UDPLITE_SEND_CSCOV:
    case SKO_UDPLITE_RECV_CSCOV: {
      if (<u32>load<u8>(sk + SK_PROTOCOL) != IPPROTO_UDPLITE) return -ENOPROTOOPT;
      // udp_lib_setsockopt: 0 stays 0 (full coverage), 1..7 become 8, above 0xffff capped
      let v = val;
      if (v != 0 && v < 8) v = 8;
      else if (v > 0xffff) v = 0xffff;
      if (opt == SKO_UDPLITE_SEND_CSCOV) {
        store<u16>(sk + SKX_SEND_CSCOV, <u16>v);
        // UDPLITE_SEND_CC: set even for 0, whose datagrams then say 0 (all) in the length field
        store<u8>(sk + SK_PCFLAG, load<u8>(sk + SK_PCFLAG) | <u8>UDPLITE_SEND_CC);
      } else {
        store<u16>(sk + SKX_RECV_CSCOV, <u16>v);
        store<u8>(sk + SK_PCFLAG, load<u8>(sk + SK_PCFLAG) | <u8>UDPLITE_RECV_CC);
      }
      return 0;
    }
  }
  return mcSetOpt(sk, sk + SKX_MCAST, opt, val); // the multicast options (udp_mcast.ts)
}

export function sk_getsockopt(id: u32, opt: u32): i32 {
  const sk = liveSock(id);
  if (sk == 0) return -EBADF;
  // IPv6-level options on an AF_INET socket: ip_getsockopt's -EOPNOTSUPP
  if ((opt >> 8) == 41 && !isV6(sk)) return -EOPNOTSUPP;
  switch (opt) {
    case SKO_SO_REUSEADDR: return hasFlag(sk, SKF_REUSEADDR) ? 1 : 0;
    case SKO_SO_REUSEPORT: return hasFlag(sk, SKF_REUSEPORT) ? 1 : 0;
    case SKO_SO_BROADCAST: return hasFlag(sk, SKF_BROADCAST) ? 1 : 0;
    case SKO_SO_NO_CHECK: return hasFlag(sk, SKF_NO_CHECK_TX) ? 1 : 0;
    case SKO_SO_TYPE: return <u32>load<u8>(sk + SKX_RAW_PROTO) != 0 ? 3 : 2; // SOCK_RAW / SOCK_DGRAM
    case SKO_SO_ERROR: return sk_err_take(id);
    case SKO_SO_RCVBUF: return <i32>load<u32>(sk + SK_RCVBUF);
    case SKO_SO_SNDBUF: return <i32>load<u32>(sk + SK_SNDBUF);
    case SKO_SO_BINDTODEVICE: return <i32>load<u32>(sk + SK_BOUND_DEV_IF);
    case SKO_SO_MARK: return <i32>load<u32>(sk + SK_MARK);
    case SKO_SO_PROTOCOL: return <u32>load<u8>(sk + SKX_RAW_PROTO) != 0 ? <i32>load<u8>(sk + SKX_RAW_PROTO) : <i32>load<u8>(sk + SK_PROTOCOL);
    case SKO_SO_DOMAIN: return <i32>load<u8>(sk + SK_FAMILY);
    case SKO_SO_RXQ_OVFL: return <i32>load<u32>(sk + SK_DROPS);
    case SKO_SO_INCOMING_CPU: return <i32>load<u32>(sk + SKX_INCOMING) - 1;
    case SKO_SO_COOKIE: return <i32>load<u32>(sk + SK_COOKIE);
    case SKO_IP_TTL: {
      const t = <u32>load<u8>(sk + SK_TTL);
      return t != 0 ? <i32>t : <i32>sysctl(SYSCTL_IP_DEFAULT_TTL);
    }
    case SKO_IPV6_UNICAST_HOPS: {
      const h = <u32>load<u16>(sk + SK_HOPS6);
      return h != 0 ? <i32>h - 1 : 64;
    }
    case SKO_IP_TOS: return <i32>load<u8>(sk + SK_TOS);
    case SKO_IPV6_TCLASS: return <i32>load<u8>(sk + SK_TCLASS);
    case SKO_IP_MULTICAST_TTL: return <i32>load<u8>(sk + SK_MC_TTL);
    case SKO_IP_MTU_DISCOVER: return <i32>load<u8>(sk + SK_PMTUDISC);
    case SKO_IPV6_MTU_DISCOVER: return isV6(sk) ? <i32>load<u8>(sk + SK_PMTUDISC6) : -EOPNOTSUPP;
    case SKO_IPV6_DONTFRAG: return isV6(sk) ? <i32>(load<u8>(sk + SK_FLAGS6) & <u8>SK6F_DONTFRAG) : -EOPNOTSUPP;
    // an IPv6-level option on an AF_INET socket: ip_getsockopt's -EOPNOTSUPP (setsockopt: -ENOPROTOOPT)
    case SKO_IPV6_V6ONLY: return isV6(sk) ? (ipv6OnlySock(sk) ? 1 : 0) : -EOPNOTSUPP;
    case SKO_UDPLITE_SEND_CSCOV: return <u32>load<u8>(sk + SK_PROTOCOL) == IPPROTO_UDPLITE ? <i32>load<u16>(sk + SKX_SEND_CSCOV) : -ENOPROTOOPT;
    case SKO_UDPLITE_RECV_CSCOV: return <u32>load<u8>(sk + SK_PROTOCOL) == IPPROTO_UDPLITE ? <i32>load<u16>(sk + SKX_RECV_CSCOV) : -ENOPROTOOPT;
  }
  return mcGetOpt(sk, sk + SKX_MCAST, opt);
}

/**
 * Multicast membership (udp_mcast.ts MC_*: IP_ADD_MEMBERSHIP … MCAST_UNBLOCK_SOURCE) on socket `id`:
 * `family` AF_INET (group and source 4 bytes at `group` / `src`, `ifaddr` the interface address,
 * `ifindex` ip_mreqn's) or AF_INET6 (16 bytes each, `ifindex` the interface). 0 or -errno.
 */
export function sk_mc_op(id: u32, op: u32, family: u32, group: u32, src: u32, ifaddr: u32, ifindex: u32): i32 {
  const sk = liveSock(id);
  if (sk == 0) return -EBADF;
  if (<u32>load<u8>(sk + SKX_RAW_PROTO) != 0) return -ENOPROTOOPT;
  return mcOp(sk, sk + SKX_MCAST, op, family, group, src, ifaddr, ifindex);
}

/** IP_MULTICAST_IF with an ip_mreqn: the interface by `ifindex`, else by address `addr` (0.0.0.0 and 0: none). */
export function sk_mc_if4(id: u32, addr: u32, ifindex: u32): i32 {
  const sk = liveSock(id);
  if (sk == 0) return -EBADF;
  return mcSetIf4(sk, sk + SKX_MCAST, addr, ifindex);
}

export function sk_port_range(low: u32, high: u32): i32 {
  // ipv4_local_port_range: low <= high, both within 1..65535 (and, as the kernel, of different parity
  // is not required; a range of one port is allowed)
  if (low == 0 || high > 65535 || low > high) return -EINVAL;
  const r = l4Init();
  if (r == 0) return -ENOMEM;
  store<u16>(r + L4_PORT_LOW, <u16>low);
  store<u16>(r + L4_PORT_HIGH, <u16>high);
  return 0;
}

export function sk_hash_secret(secret: u32): void {
  const r = l4Init();
  if (r != 0) store<u32>(r + L4_SECRET, secret);
}

export function sk_rmem_default(v: u32): void {
  const r = l4Init();
  if (r != 0) store<u32>(r + L4_RMEM_DEFAULT, v);
}

export function sk_rmem_max(v: u32): void {
  const r = l4Init();
  if (r != 0) store<u32>(r + L4_RMEM_MAX, v);
}

export function sk_wmem_default(v: u32): void {
  const r = l4Init();
  if (r != 0) store<u32>(r + L4_WMEM_DEFAULT, v);
}

export function sk_wmem_max(v: u32): void {
  const r = l4Init();
  if (r != 0) store<u32>(r + L4_WMEM_MAX, v);
}

export function sk_io_area(): u32 {
  const r = l4Init();
  return r == 0 ? 0 : load<u32>(r + L4_IO);
}

/** Sockets live (tests, stats). */
export function sk_count(): u32 {
  if (netRoot() == 0) return 0;
  const r = l4Root();
  return r == 0 ? 0 : load<u32>(r + L4_LIVE);
}

// ---- The data path's side: queue, error, ready ----

/**
 * The truesize the kernel charges a datagram of `l3len` bytes (IP header on) against SO_RCVBUF: that of
 * the skb a Linux sender builds for it (__ip_append_data: a head of LL_RESERVED_SPACE 16 + the datagram
 * + 15, SKB_HEAD_ALIGN'd with its 320-byte skb_shared_info; kmalloc_reserve takes it from the small-head
 * cache, 576 bytes, when it fits, else kmalloc's power-of-two size), plus struct sk_buff (256) — what a
 * datagram costs a kernel socket when it came over veth, which hands the sender's skb over as it is
 * (checked: 64-byte datagrams, 832 each, 256 in a default 212,992-byte buffer). A datagram reassembled
 * from fragments is charged the sum of its fragments' (ip_frag_reasm adds them up), counted here as
 * MTU-1500 fragments. A real NIC's driver charges what it allocated instead — build_skb on its page
 * fragment (2,304 or 4,352 for 2K / 4K buffers), or a copy for small frames — so a socket there holds
 * fewer small datagrams. The UMEM frame a queued datagram holds (FRAME_SIZE) is not what is charged:
 * the queues together stay bounded by udp_mem (sk_mem_max), in frames.
 */
@inline export function skTruesize(l3len: u32): u32 {
  // the small head cache's: datagrams of up to 225 bytes (64-byte ones are the common case, no call)
  return l3len <= 576 - 320 - 31 ? 576 + 256 : truesizeLarge(l3len);
}

function truesizeLarge(l3len: u32): u32 {
  if (l3len > 1500) {
    const frags = (l3len - 20 + 1479) / 1480;
    return frags * truesizeLarge(1500);
  }
  const head = ((16 + l3len + 15 + 63) & ~63) + 320;
  if (head <= 576) return 576 + 256;
  return (1 << (32 - clz<u32>(head - 1))) + 256;
}

/** The socket became worth visiting: on the ready ring once until sk_ready reports it. */
@inline function markReady(sk: u32): void {
  markReadyIn(l4Root(), sk);
}

@inline function markReadyIn(r: u32, sk: u32): void {
  if (!ASC_FEATURE_THREADS) {
    // one thread: without a branch on the mark, which with thousands of sockets is a coin toss per
    // datagram (the id is written at the tail either way: a slot past the tail is not the reader's, and
    // one is always free, the ring holding each id once)
    const w = load<u32>(sk + SKX_READY);
    const tail = load<u32>(r + L4_READY_TAIL);
    store<u32>(load<u32>(r + L4_READY) + ((tail & (SK_MAX - 1)) << 2), w >> 1);
    store<u32>(sk + SKX_READY, w | 1);
    store<u32>(r + L4_READY_TAIL, tail + (~w & 1));
    return;
  }
  if ((load<u32>(sk + SKX_READY) & 1) != 0) return;
  const lock = netRoot() + NR_LOCK_READY;
  spinLock(lock);
  const w = load<u32>(sk + SKX_READY);
  if ((w & 1) == 0) {
    store<u32>(sk + SKX_READY, w | 1);
    const tail = load<u32>(r + L4_READY_TAIL);
    store<u32>(load<u32>(r + L4_READY) + ((tail & (SK_MAX - 1)) << 2), w >> 1);
    // the id is written before the tail moves past it
    if (ASC_FEATURE_THREADS) atomic.store<u32>(r + L4_READY_TAIL, tail + 1);
    else store<u32>(r + L4_READY_TAIL, tail + 1);
  }
  spinUnlock(lock);
}

export const ENQ_OK: i32 = 0;
export const ENQ_RCVBUF: i32 = 1; // -ENOMEM of the kernel: over SO_RCVBUF (RcvbufErrors)
export const ENQ_MEM: i32 = 2; //    -ENOBUFS: over udp_mem (MemErrors)

/**
 * __udp_enqueue_schedule_skb: queue the datagram whose L3 header is at `iph` (payload at `payload`,
 * `plen` bytes; from `ifindex`, its frame queue `q`'s) on `sk`, charged the truesize of its L3 length
 * (payload − iph + plen). ENQ_OK, or ENQ_RCVBUF / ENQ_MEM (the caller counts it; the frame is then
 * still the caller's).
 */
export function skEnqueue(sk: u32, q: u32, iph: u32, payload: u32, plen: u32, ifindex: u32): i32 {
  return skEnqueueInline(sk, q, iph, payload, plen, ifindex);
}

/**
 * skEnqueue for the receive path's own call (udp.ts queueRcv: one call less per datagram): under the
 * socket's lock (the shared build: workers enqueue while the control plane reads), a dead socket takes nothing.
 */
@inline export function skEnqueueInline(sk: u32, q: u32, iph: u32, payload: u32, plen: u32, ifindex: u32): i32 {
  spinLock(sk + SK_LOCK);
  const rc = (load<u8>(sk + SKX_HIT) & SKH_DEAD) != 0 ? ENQ_RCVBUF : skEnqueueLocked(sk, q, iph, payload, plen, ifindex);
  spinUnlock(sk + SK_LOCK);
  return rc;
}

/** The record of the datagram whose L3 header is at `iph` (its frame's; the list's entries). */
@inline function qrOf(iph: u32): u32 {
  return iph - QR_SIZE;
}

/** Write the record `f` of a datagram being queued last: `poff` (the payload's offset from the L3 header), `plen` bytes. */
@inline function qrWrite(f: u32, q: u32, poff: u32, plen: u32, ifindex: u32): void {
  store<u32>(f + QR_NEXT, 0);
  store<u32>(f + QR_Q, q);
  store<u32>(f + QR_LEN_IF, plen | (ifindex << QR_PLEN_BITS));
  store<u16>(f + QR_POFF, <u16>poff);
}

@inline function qrPoff(f: u32): u32 {
  return <u32>load<u16>(f + QR_POFF);
}

@inline function qrLen(f: u32): u32 {
  return load<u32>(f + QR_LEN_IF) & ((1 << QR_PLEN_BITS) - 1);
}

@inline function qrIfindex(f: u32): u32 {
  return load<u32>(f + QR_LEN_IF) >> QR_PLEN_BITS;
}

/** The queued datagram's L3 header. */
@inline function qrIph(f: u32): u32 {
  return f + QR_SIZE;
}

/** The queued datagram's payload. */
@inline function qrData(f: u32): u32 {
  return f + QR_SIZE + qrPoff(f);
}

/** What the queued datagram is charged: its L3 length's (the payload's offset and bytes), as when it was queued. */
@inline function qrTruesize(f: u32): u32 {
  return skTruesize(qrPoff(f) + qrLen(f));
}

/** The queued datagram is IPv6 (by its header's version). */
@inline function qrV6(f: u32): bool {
  return (<u32>load<u8>(f + QR_SIZE) >> 4) == 6;
}

/** Its source port (host order): the UDP header's, right before the payload; 0 for a raw socket's. */
@inline function qrSport(f: u32): u32 {
  const poff = qrPoff(f);
  return poff == 0 ? 0 : <u32>bswap<u16>(load<u16>(f + QR_SIZE + poff - 8));
}

@inline function skEnqueueLocked(sk: u32, q: u32, iph: u32, payload: u32, plen: u32, ifindex: u32): i32 {
  const rmem = load<u32>(sk + SK_RMEM);
  const size = skTruesize(payload - iph + plen);
  const rcvbuf = load<u32>(sk + SK_RCVBUF);
  // over the limit: dropped, unless the queue is empty (6.18's rule; before: while rmem <= rcvbuf)
  if (rmem + size > rcvbuf && (rcvbuf > 0x3fffffff || rmem != 0)) return ENQ_RCVBUF;
  const r = l4Root();
  const held = atomicAdd32(r + L4_HELD, 1);
  if (held >= load<u32>(r + L4_HELD_MAX)) {
    atomicAdd32(r + L4_HELD, 0xffffffff);
    return ENQ_MEM;
  }
  skLink(sk, q, iph, payload - iph, plen, ifindex, rmem + size);
  markReadyIn(r, sk);
  return ENQ_OK;
}

/**
 * The datagram whose L3 header is at `iph` (payload `poff` bytes on, `plen` bytes), admitted, queued last
 * on `sk` (its lock held), whose queue then holds `rmem` bytes: its record, the link, the queue's length (the
 * ready mark is the caller's; the datagram counters are the reader's: rxTaken).
 */
@inline function skLink(sk: u32, q: u32, iph: u32, poff: u32, plen: u32, ifindex: u32, rmem: u32): void {
  const f = qrOf(iph);
  qrWrite(f, q, poff, plen, ifindex);
  store<u32>(sk + SK_RMEM, rmem);
  // linked after the tail, or the head of an empty queue (a select: whether a socket's queue is empty is
  // a coin toss per datagram with thousands of sockets)
  const tail = load<u32>(sk + SKX_QTAIL);
  store<u32>(select<u32>(sk + SKX_QHEAD, tail + QR_NEXT, tail == 0), f);
  store<u32>(sk + SKX_QTAIL, f);
  store<u32>(sk + SKX_QLEN, load<u32>(sk + SKX_QLEN) + 1);
  // sk_incoming_cpu_update: only a socket with a peer address records where it last received
  if ((load<u8>(sk + SKX_HIT) & SKH_PEER) != 0) store<u32>(sk + SKX_INCOMING, netWorkerSlot() + 1);
}

/**
 * The UDP length of the j-th datagram of a run: from `ulens` (stride 16: the lean receive's burst keys,
 * kept when it checked the length; a burst's headers share one L1 set, each read of one a miss there).
 */
@inline function udpLenOf(ulens: u32, j: u32): u32 {
  return load<u32>(ulens + (j << 4));
}

/**
 * skEnqueueInline for `k` datagrams of one family in a row, each for its own socket (the lean receive's
 * run of a burst's frames whose sockets it found, udp.ts udp_queue_burst: the k × u32 record addresses at
 * `socks`), one after the other as alone: each under its socket's lock, a dead socket's ENQ_RCVBUF, then
 * SO_RCVBUF (6.18's rule), then udp_mem — reserved once for the k (L4_HELD) and what was not used given
 * back, so the j-th is over it exactly when it would be alone (those before it that were queued hold
 * theirs). Frames and answers as skEnqueueRun: L3 starts at `ips` (stride 8, Ethernet headers there),
 * ENQ_* to `res`. Returns how many were queued.
 */
export function skEnqueueBurst(q: u32, ips: u32, socks: u32, res: u32, k: u32, hlen: u32, ifindex: u32, ulens: u32): u32 {
  const r = l4Root();
  const h0 = atomicAdd32(r + L4_HELD, k);
  const max = load<u32>(r + L4_HELD_MAX);
  const avail = h0 < max ? max - h0 : 0;
  // the ready ring's tail in a local (one thread: markReadyIn's way without its loads, stored once)
  const ring = load<u32>(r + L4_READY);
  let tail = load<u32>(r + L4_READY_TAIL);
  let acc: u32 = 0;
  for (let j: u32 = 0; j < k; j++) {
    const sk = load<u32>(socks + (j << 2));
    const iph = load<u32>(ips + (j << 3)) + 14;
    const ulen = udpLenOf(ulens, j);
    const size = skTruesize(hlen + ulen);
    spinLock(sk + SK_LOCK);
    const rmem = load<u32>(sk + SK_RMEM);
    const rcvbuf = load<u32>(sk + SK_RCVBUF);
    let rc = ENQ_OK;
    if ((load<u8>(sk + SKX_HIT) & SKH_DEAD) != 0 || (rmem + size > rcvbuf && (rcvbuf > 0x3fffffff || rmem != 0))) rc = ENQ_RCVBUF;
    else if (acc >= avail) rc = ENQ_MEM;
    else {
      skLink(sk, q, iph, hlen + 8, ulen - 8, ifindex, rmem + size);
      if (!ASC_FEATURE_THREADS) {
        const w = load<u32>(sk + SKX_READY);
        store<u32>(ring + ((tail & (SK_MAX - 1)) << 2), w >> 1);
        store<u32>(sk + SKX_READY, w | 1);
        tail += ~w & 1;
      } else markReadyIn(r, sk);
      acc++;
    }
    spinUnlock(sk + SK_LOCK);
    store<u32>(res + (j << 2), <u32>rc);
  }
  if (!ASC_FEATURE_THREADS) store<u32>(r + L4_READY_TAIL, tail);
  if (acc < k) atomicAdd32(r + L4_HELD, acc - k);
  return acc;
}

/**
 * skEnqueueInline for `k` datagrams of one family in a row for one socket `sk` (the lean receive's run
 * of a burst's frames to the same socket, udp.ts udp_queue_run), under one hold of its lock: each
 * datagram decided as skEnqueueLocked decides it, in order — over SO_RCVBUF (6.18's rule, against the
 * bytes queued so far, this run's included) ENQ_RCVBUF; else over udp_mem (L4_HELD, reserved once for
 * the run and what was not used given back) ENQ_MEM; else queued. The frames' L3 starts are at `ips`
 * (k × u32 at stride 8: the burst's (data, len) pairs, Ethernet headers there), each one's answer
 * (ENQ_*) goes to `res` (k × u32). Returns how many were queued. `hlen` is the L3 header length (20 / 40),
 * the UDP header right after it.
 */
export function skEnqueueRun(sk: u32, q: u32, ips: u32, res: u32, k: u32, hlen: u32, ifindex: u32, ulens: u32): u32 {
  spinLock(sk + SK_LOCK);
  if ((load<u8>(sk + SKX_HIT) & SKH_DEAD) != 0) {
    for (let j: u32 = 0; j < k; j++) store<u32>(res + (j << 2), <u32>ENQ_RCVBUF);
    spinUnlock(sk + SK_LOCK);
    return 0;
  }
  const r = l4Root();
  const h0 = atomicAdd32(r + L4_HELD, k);
  const max = load<u32>(r + L4_HELD_MAX);
  const avail = h0 < max ? max - h0 : 0;
  const rcvbuf = load<u32>(sk + SK_RCVBUF);
  let rmem = load<u32>(sk + SK_RMEM);
  let tail = load<u32>(sk + SKX_QTAIL);
  let acc: u32 = 0;
  for (let j: u32 = 0; j < k; j++) {
    const iph = load<u32>(ips + (j << 3)) + 14;
    const ulen = udpLenOf(ulens, j);
    const size = skTruesize(hlen + ulen);
    let rc = ENQ_OK;
    if (rmem + size > rcvbuf && (rcvbuf > 0x3fffffff || rmem != 0)) rc = ENQ_RCVBUF;
    else if (acc >= avail) rc = ENQ_MEM;
    else {
      const f = qrOf(iph);
      qrWrite(f, q, hlen + 8, ulen - 8, ifindex);
      rmem += size;
      if (tail == 0) store<u32>(sk + SKX_QHEAD, f);
      else store<u32>(tail + QR_NEXT, f);
      tail = f;
      acc++;
    }
    store<u32>(res + (j << 2), <u32>rc);
  }
  if (acc < k) atomicAdd32(r + L4_HELD, acc - k);
  if (acc != 0) {
    store<u32>(sk + SK_RMEM, rmem);
    store<u32>(sk + SKX_QTAIL, tail);
    store<u32>(sk + SKX_QLEN, load<u32>(sk + SKX_QLEN) + acc);
    if ((load<u8>(sk + SKX_HIT) & SKH_PEER) != 0) store<u32>(sk + SKX_INCOMING, netWorkerSlot() + 1);
    markReadyIn(r, sk);
  }
  spinUnlock(sk + SK_LOCK);
  return acc;
}

/** A drop charged to the socket (sk_drops, SO_RXQ_OVFL). */
@inline export function skDropInc(sk: u32): void {
  atomicAdd32(sk + SK_DROPS, 1);
}

/** sk_err = errno, sk_error_report: the reader learns it through the ready list. */
export function skErrReport(sk: u32, errno: u32): void {
  store<u32>(sk + SK_ERR, errno);
  markReady(sk);
}

// ---- The reader's side ----

export function sk_err_take(id: u32): i32 {
  const sk = liveSock(id);
  if (sk == 0) return -EBADF;
  const e = load<u32>(sk + SK_ERR);
  store<u32>(sk + SK_ERR, 0);
  return <i32>e;
}

// (Tried 12-07, spu57: both indices set back to 0 when sk_ready empties the ring, so the enqueue's ids
// go to its first lines again instead of a cold line every 16 ids through its 1 MiB — bench udp's demux
// workload, the builds in one process, blocks in turns, data path ns: 10k 45.0 → 45.0 (6/16 won), 100k
// 54.3 → 54.7 (7/12): even; not kept.)
export function sk_ready(out: u32, max: u32): u32 {
  if (netRoot() == 0) return 0;
  const r = l4Root();
  if (r == 0) return 0;
  const ring = load<u32>(r + L4_READY);
  let head = load<u32>(r + L4_READY_HEAD);
  const tail = load<u32>(r + L4_READY_TAIL);
  let n: u32 = 0;
  while (head != tail && n < max) {
    const id = load<u32>(ring + ((head & (SK_MAX - 1)) << 2));
    head++;
    const sk = sockById(id);
    if (sk == 0) continue; // closed since
    store<u32>(sk + SKX_READY, id << 1);
    store<u32>(out + (n << 2), id);
    n++;
  }
  store<u32>(r + L4_READY_HEAD, head);
  return n;
}

/** Write the source of the queued datagram (record `f`) into meta `m` as socket `sk` sees it. */
function metaFill(sk: u32, f: u32, m: u32): void {
  metaFillHit(load<u8>(sk + SKX_HIT), f, m);
}

/** metaFill for the socket whose SKX_HIT is `hit` (its family from SKH_V6: line 1 alone). */
@inline function metaFillHit(hit: u8, f: u32, m: u32): void {
  const iph = qrIph(f);
  store<u16>(m + RM_PORT, <u16>qrSport(f));
  store<u32>(m + RM_IFINDEX, qrIfindex(f));
  store<u32>(m + RM_LEN, qrLen(f));
  if (qrV6(f)) {
    store<u8>(m + RM_FAMILY, <u8>AF_INET6);
    copyBytes(m + RM_ADDR, iph + 8, 16);
  } else if ((hit & SKH_V6) != 0) {
    // an IPv4 datagram on a dual-stack socket: ::ffff:a.b.c.d
    store<u8>(m + RM_FAMILY, <u8>AF_INET6);
    store<u64>(m + RM_ADDR, 0);
    store<u32>(m + RM_ADDR + 8, 0xffff0000);
    store<u32>(m + RM_ADDR + 12, load<u32>(iph + 12));
  } else {
    store<u8>(m + RM_FAMILY, <u8>AF_INET);
    store<u32>(m + RM_ADDR, load<u32>(iph + 12));
    store<u32>(m + RM_ADDR + 4, 0);
    store<u64>(m + RM_ADDR + 8, 0);
  }
}

@inline function heldDec(): void {
  atomicAdd32(l4Root() + L4_HELD, 0xffffffff);
}

/** udp_mem in frames: how many the socket queues may hold together (default half the UMEM). */
export function sk_mem_max(frames: u32): void {
  const r = l4Init();
  if (r != 0) store<u32>(r + L4_HELD_MAX, frames);
}

/** Frames the socket queues hold now. */
export function sk_mem_held(): u32 {
  if (netRoot() == 0) return 0;
  const r = l4Root();
  return r == 0 ? 0 : load<u32>(r + L4_HELD);
}

/** Unlink and free the oldest queued datagram of `sk` (record `f`, its bytes already taken). */
function dequeue(sk: u32, f: u32): void {
  const next = load<u32>(f + QR_NEXT);
  store<u32>(sk + SKX_QHEAD, next);
  if (next == 0) store<u32>(sk + SKX_QTAIL, 0);
  store<u32>(sk + SKX_QLEN, load<u32>(sk + SKX_QLEN) - 1);
  store<u32>(sk + SK_RMEM, load<u32>(sk + SK_RMEM) - qrTruesize(f));
  rxTaken(sk, 1, <u64>qrLen(f));
  heldDec();
  const raw = <u32>load<u8>(sk + SKX_RAW_PROTO);
  // udpv6_recvmsg counts by the datagram's family (is_udp4), not the socket's
  if (raw == 0) mibInc(udpMibBase(qrV6(f), <u32>load<u8>(sk + SK_PROTOCOL)) + UDP_MIB_INDATAGRAMS);
  netFree(load<u32>(f + QR_Q), f);
}

export function sk_recv(id: u32, buf: u32, bufLen: u32, meta: u32): i32 {
  const sk = liveSock(id);
  if (sk == 0) return -EBADF;
  spinLock(sk + SK_LOCK);
  const n = skRecvLocked(sk, buf, bufLen, meta);
  spinUnlock(sk + SK_LOCK);
  return n;
}

function skRecvLocked(sk: u32, buf: u32, bufLen: u32, meta: u32): i32 {
  const f = load<u32>(sk + SKX_QHEAD);
  if (f == 0) return -EAGAIN;
  const len = qrLen(f);
  const n = min(len, bufLen);
  copyBytes(buf, qrData(f), n);
  if (meta != 0) {
    metaFill(sk, f, meta);
    store<u8>(meta + RM_FLAGS, <u8>(len > bufLen ? RM_FLAG_TRUNC : 0));
    store<u32>(meta + RM_OFF, 0);
  }
  dequeue(sk, f);
  return <i32>n;
}

export function sk_recv_batch(id: u32, max: u32, buf: u32, bufLen: u32, meta: u32): u32 {
  // liveSock by line 1's mirror of SKF_DEAD (sk_close sets both before anything else can run)
  const sk = sockById(id);
  if (sk == 0 || (load<u8>(sk + SKX_HIT) & SKH_DEAD) != 0) return 0;
  spinLock(sk + SK_LOCK);
  const n = skRecvBatchLocked(sk, max, buf, bufLen, meta);
  spinUnlock(sk + SK_LOCK);
  return n;
}

/**
 * The datagrams of a batch are unlinked and freed one by one, and the queue's length, its rmem, the
 * frames held (udp_mem) and Udp:InDatagrams (per the datagram's family, as udpv6_recvmsg counts) change
 * once for them all at the end, under the socket's lock as dequeue's do: the same counts as that many
 * udp_recvmsg calls. (The kernel's reader also returns memory lazily: udp_rmem_release frees in quanta.)
 */
function skRecvBatchLocked(sk: u32, max: u32, buf: u32, bufLen: u32, meta: u32): u32 {
  let off: u32 = 0;
  let n: u32 = 0;
  let f = load<u32>(sk + SKX_QHEAD);
  let truesize: u32 = 0;
  let v6: u32 = 0;
  let bytes: u64 = 0;
  const hit = load<u8>(sk + SKX_HIT);
  while (n < max && f != 0) {
    const len = qrLen(f);
    const room = bufLen - off;
    if (len > room && n != 0) break;
    bytes += <u64>len;
    const c = min(len, room);
    copyBytes(buf + off, qrData(f), c);
    const m = meta + n * RM_SIZE;
    metaFillHit(hit, f, m);
    store<u8>(m + RM_FLAGS, <u8>(len > room ? RM_FLAG_TRUNC : 0));
    store<u32>(m + RM_OFF, off);
    const next = load<u32>(f + QR_NEXT);
    truesize += qrTruesize(f);
    if (qrV6(f)) v6++;
    netFree(load<u32>(f + QR_Q), f);
    f = next;
    off = (off + c + 7) & ~7;
    if (off > bufLen) off = bufLen;
    n++;
  }
  if (n == 0) return 0;
  store<u32>(sk + SKX_QHEAD, f);
  if (f == 0) store<u32>(sk + SKX_QTAIL, 0);
  store<u32>(sk + SKX_QLEN, load<u32>(sk + SKX_QLEN) - n);
  store<u32>(sk + SK_RMEM, load<u32>(sk + SK_RMEM) - truesize);
  rxTaken(sk, n, bytes);
  atomicAdd32(l4Root() + L4_HELD, 0 - n);
  if ((hit & SKH_RAW) == 0) {
    const protocol = (hit & SKH_LITE) != 0 ? IPPROTO_UDPLITE : IPPROTO_UDP;
    if (n != v6) mibAdd(udpMibBase(false, protocol) + UDP_MIB_INDATAGRAMS, <u64>(n - v6));
    if (v6 != 0) mibAdd(udpMibBase(true, protocol) + UDP_MIB_INDATAGRAMS, <u64>v6);
  }
  return n;
}

/**
 * `n` datagrams of `bytes` payload bytes taken off `sk`'s queue by its reader (its lock held): counted in
 * SK_RX_PACKETS / SK_RX_BYTES, which hold what the reader took; what is queued now is added when the
 * counters are asked for (sk_rx_stats).
 */
@inline function rxTaken(sk: u32, n: u32, bytes: u64): void {
  store<u64>(sk + SK_RX_PACKETS, load<u64>(sk + SK_RX_PACKETS) + <u64>n);
  store<u64>(sk + SK_RX_BYTES, load<u64>(sk + SK_RX_BYTES) + bytes);
}

/**
 * Socket `id`'s datagrams and payload bytes queued since it was made (those its reader took, SK_RX_*,
 * and those in its queue now) as two u64 at `out`; 0, or -EBADF. (The enqueue adds to no counter of
 * its own: with the two u64 additions in the socket's line 1 a datagram, wxdp bench udp's data path ns,
 * 12-07, three runs in one process beside this, 6–8 rounds each at load 17–22, without → with: 10k
 * 109.4 → 113.4 (6/6 rounds faster without), 107.8 → 109.0 (4/6), ratio 1.026 (6/8); 100k 123.6 → 129.0
 * (6/6), 126.6 → 125.6 (3/6), ratio 1.007 (7/8); an A/A row within 1 %.)
 */
export function sk_rx_stats(id: u32, out: u32): i32 {
  const sk = liveSock(id);
  if (sk == 0) return -EBADF;
  spinLock(sk + SK_LOCK);
  let packets = load<u64>(sk + SK_RX_PACKETS);
  let bytes = load<u64>(sk + SK_RX_BYTES);
  for (let f = load<u32>(sk + SKX_QHEAD); f != 0; f = load<u32>(f + QR_NEXT)) {
    packets++;
    bytes += <u64>qrLen(f);
  }
  spinUnlock(sk + SK_LOCK);
  store<u64>(out, packets);
  store<u64>(out, bytes, 8);
  return 0;
}

/** Datagrams queued on socket `id` (tests, stats), -EBADF when none. */
export function sk_queued(id: u32): i32 {
  const sk = liveSock(id);
  return sk == 0 ? -EBADF : <i32>load<u32>(sk + SKX_QLEN);
}

// ---- Raw handlers (an embedder's protocol) ----

export function sk_raw_create(family: u32, protocol: u32): i32 {
  if (family != AF_INET && family != AF_INET6) return -EAFNOSUPPORT;
  if (protocol == 0 || protocol > 255 || protocol == IPPROTO_UDP || protocol == IPPROTO_UDPLITE || protocol == IPPROTO_TCP ||
    protocol == IPPROTO_ICMP || protocol == IPPROTO_ICMPV6) return -EPROTONOSUPPORT;
  const r = l4Init();
  if (r == 0) return -ENOMEM;
  const slot = load<u32>(r + L4_RAW) + (((family == AF_INET6 ? 256 : 0) + protocol) << 2);
  if (load<u32>(slot) != 0) return -EADDRINUSE;
  const id = skNew(family, 0, 0, protocol);
  if (id < 0) return id;
  store<u32>(slot, <u32>id);
  const e = net_proto_raw(family, protocol, <u32>id);
  if (e != 0) {
    store<u32>(slot, 0);
    sk_close(<u32>id);
    return e;
  }
  return id;
}

/** The raw handler socket of `protocol` (0: none). */
@inline export function rawSock(v6: bool, protocol: u32): u32 {
  const r = l4Root();
  if (r == 0) return 0;
  return sockById(load<u32>(load<u32>(r + L4_RAW) + (((v6 ? 256 : 0) + protocol) << 2)));
}

/** Clear the raw slot of a closed raw socket (local.ts calls it when the handler is reset). */
export function rawSlotClear(v6: bool, protocol: u32): void {
  const r = l4Root();
  if (r == 0) return;
  store<u32>(load<u32>(r + L4_RAW) + (((v6 ? 256 : 0) + protocol) << 2), 0);
}
