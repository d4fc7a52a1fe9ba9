// The two programmable steps of socket lookup: BPF_PROG_TYPE_SK_LOOKUP (before the tables, may assign a
// socket with bpf_sk_assign or drop) and BPF_PROG_TYPE_SK_REUSEPORT (picks a member of a reuseport
// group with bpf_sk_select_reuseport).
//
// (Contract stub: the sk programs work fills this file in.)

/**
 * Run the sk_lookup programs attached to the stack for this datagram (addresses at `saddr`/`daddr`,
 * 16 bytes each as abi.ts keeps them, ports host order). Returns a socket record address the
 * programs assigned, 0 when none did (the tables decide), or SK_LOOKUP_DROP.
 */
export const SK_LOOKUP_DROP: u32 = 0xffffffff;
export function skLookupRun(family: u32, protocol: u32, saddr: u32, sport: u32, daddr: u32, dport: u32, ifindex: u32): u32 {
  return family + protocol + saddr + sport + daddr + dport + ifindex == 0 ? 0 : 0;
}

/**
 * Run the SK_REUSEPORT program of reuseport group `group` (sock.ts's record) for the datagram at `data`
 * (`len` bytes from the UDP header), hash `hash`. Returns the chosen socket record, 0 for the
 * kernel's default choice (by hash), or SK_LOOKUP_DROP.
 */
export function skReuseportRun(group: u32, data: u32, len: u32, hash: u32): u32 {
  return group + data + len + hash == 0 ? 0 : 0;
}
