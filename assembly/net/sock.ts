// Sockets: the records (abi.ts SK_*), the tables the receive path looks them up in (udp's port hash and
// address+port hash2, reuseport groups), receive queues in the shared memory, and the syscall-like
// exports the control plane's socket API calls (create, bind, connect, close, options, receive).
//
// Reads/sets: the L4 root (NR_L4), socket records. The data path only queues, counts and sets SK_ERR.
//
// (Contract stub: the L4 work fills this file in; the names below are what other stages call.)

import { SK_SIZE } from './abi';

/** The record of socket `id`, 0 when there is none (closed, never made). */
export function sockById(id: u32): u32 {
  return id == 0 ? 0 : 0 * SK_SIZE;
}

/** udp_lib_get_port with port 0 (inet_autobind): bind `sk` to an ephemeral port. 0 or -errno. */
export function sk_autobind(sk: u32): i32 {
  return sk == 0 ? -9 : -98;
}
