// The one table of SEC() names → program types, after libbpf's `section_defs[]` (libbpf 1.x).
//
// Matching follows libbpf's sec_def_matches():
//   'name'   the section name must equal it exactly ('xdp' matches "xdp" but not "xdp_foo" or "xdp/foo");
//   'name+'  exactly "name" or "name/<anything>"  ('kprobe+' matches "kprobe" and "kprobe/do_sys_open");
//   'name/'  "name/<anything>" only.
// The first matching entry wins, so more specific names come first. A section that matches nothing is
// still a program, of type 'unspec' (libbpf loads it only if the user sets a type).

/** libbpf's prog_type_name[] (BPF_PROG_TYPE_* without the prefix, lower case). */
export type ProgramType =
  | 'unspec'
  | 'socket_filter'
  | 'kprobe'
  | 'sched_cls'
  | 'sched_act'
  | 'tracepoint'
  | 'xdp'
  | 'perf_event'
  | 'cgroup_skb'
  | 'cgroup_sock'
  | 'lwt_in'
  | 'lwt_out'
  | 'lwt_xmit'
  | 'sock_ops'
  | 'sk_skb'
  | 'cgroup_device'
  | 'sk_msg'
  | 'raw_tracepoint'
  | 'cgroup_sock_addr'
  | 'lwt_seg6local'
  | 'lirc_mode2'
  | 'sk_reuseport'
  | 'flow_dissector'
  | 'cgroup_sysctl'
  | 'raw_tracepoint_writable'
  | 'cgroup_sockopt'
  | 'tracing'
  | 'struct_ops'
  | 'ext'
  | 'lsm'
  | 'sk_lookup'
  | 'syscall'
  | 'netfilter';

/** BPF_PROG_TYPE_* numbers (include/uapi/linux/bpf.h). */
export const PROGRAM_TYPE_IDS: Record<ProgramType, number> = {
  unspec: 0,
  socket_filter: 1,
  kprobe: 2,
  sched_cls: 3,
  sched_act: 4,
  tracepoint: 5,
  xdp: 6,
  perf_event: 7,
  cgroup_skb: 8,
  cgroup_sock: 9,
  lwt_in: 10,
  lwt_out: 11,
  lwt_xmit: 12,
  sock_ops: 13,
  sk_skb: 14,
  cgroup_device: 15,
  sk_msg: 16,
  raw_tracepoint: 17,
  cgroup_sock_addr: 18,
  lwt_seg6local: 19,
  lirc_mode2: 20,
  sk_reuseport: 21,
  flow_dissector: 22,
  cgroup_sysctl: 23,
  raw_tracepoint_writable: 24,
  cgroup_sockopt: 25,
  tracing: 26,
  struct_ops: 27,
  ext: 28,
  lsm: 29,
  sk_lookup: 30,
  syscall: 31,
  netfilter: 32,
};

export interface SectionDef {
  /** The SEC() pattern, with libbpf's '+' and '/' suffixes. */
  sec: string;
  type: ProgramType;
  /** libbpf's attach_type_name[] of expected_attach_type, when the section sets one. */
  attachType?: string;
  /** SEC_XDP_FRAGS: the program handles multi-buffer packets (BPF_F_XDP_HAS_FRAGS). */
  frags?: boolean;
  /** SEC_SLEEPABLE (BPF_F_SLEEPABLE). */
  sleepable?: boolean;
}

const d = (sec: string, type: ProgramType, attachType?: string, more: Partial<SectionDef> = {}): SectionDef => ({
  sec,
  type,
  ...(attachType !== undefined ? { attachType } : {}),
  ...more,
});

export const SECTION_DEFS: readonly SectionDef[] = [
  d('socket', 'socket_filter'),
  d('sk_reuseport/migrate', 'sk_reuseport', 'sk_reuseport_select_or_migrate'),
  d('sk_reuseport', 'sk_reuseport', 'sk_reuseport_select'),
  d('kprobe+', 'kprobe'),
  d('uprobe+', 'kprobe'),
  d('uprobe.s+', 'kprobe', undefined, { sleepable: true }),
  d('kretprobe+', 'kprobe'),
  d('uretprobe+', 'kprobe'),
  d('uretprobe.s+', 'kprobe', undefined, { sleepable: true }),
  d('kprobe.multi+', 'kprobe', 'trace_kprobe_multi'),
  d('kretprobe.multi+', 'kprobe', 'trace_kprobe_multi'),
  d('ksyscall+', 'kprobe'),
  d('kretsyscall+', 'kprobe'),
  d('usdt+', 'kprobe'),
  d('tc', 'sched_cls'),
  d('classifier', 'sched_cls'),
  d('action', 'sched_act'),
  d('tracepoint+', 'tracepoint'),
  d('tp+', 'tracepoint'),
  d('raw_tracepoint+', 'raw_tracepoint'),
  d('raw_tp+', 'raw_tracepoint'),
  d('raw_tracepoint.w+', 'raw_tracepoint_writable'),
  d('raw_tp.w+', 'raw_tracepoint_writable'),
  d('tp_btf+', 'tracing', 'trace_raw_tp'),
  d('fentry+', 'tracing', 'trace_fentry'),
  d('fmod_ret+', 'tracing', 'modify_return'),
  d('fexit+', 'tracing', 'trace_fexit'),
  d('fentry.s+', 'tracing', 'trace_fentry', { sleepable: true }),
  d('fmod_ret.s+', 'tracing', 'modify_return', { sleepable: true }),
  d('fexit.s+', 'tracing', 'trace_fexit', { sleepable: true }),
  d('freplace+', 'ext'),
  d('lsm+', 'lsm', 'lsm_mac'),
  d('lsm.s+', 'lsm', 'lsm_mac', { sleepable: true }),
  d('lsm_cgroup+', 'lsm', 'lsm_cgroup'),
  d('iter+', 'tracing', 'trace_iter'),
  d('iter.s+', 'tracing', 'trace_iter', { sleepable: true }),
  d('syscall', 'syscall', undefined, { sleepable: true }),
  d('xdp.frags/devmap', 'xdp', 'xdp_devmap', { frags: true }),
  d('xdp/devmap', 'xdp', 'xdp_devmap'),
  d('xdp.frags/cpumap', 'xdp', 'xdp_cpumap', { frags: true }),
  d('xdp/cpumap', 'xdp', 'xdp_cpumap'),
  d('xdp.frags', 'xdp', 'xdp', { frags: true }),
  d('xdp', 'xdp', 'xdp'),
  d('perf_event', 'perf_event'),
  d('lwt_in', 'lwt_in'),
  d('lwt_out', 'lwt_out'),
  d('lwt_xmit', 'lwt_xmit'),
  d('lwt_seg6local', 'lwt_seg6local'),
  d('sockops', 'sock_ops', 'cgroup_sock_ops'),
  d('sk_skb/stream_parser', 'sk_skb', 'sk_skb_stream_parser'),
  d('sk_skb/stream_verdict', 'sk_skb', 'sk_skb_stream_verdict'),
  d('sk_skb', 'sk_skb'),
  d('sk_msg', 'sk_msg', 'sk_msg_verdict'),
  d('lirc_mode2', 'lirc_mode2', 'lirc_mode2'),
  d('flow_dissector', 'flow_dissector', 'flow_dissector'),
  d('cgroup_skb/ingress', 'cgroup_skb', 'cgroup_inet_ingress'),
  d('cgroup_skb/egress', 'cgroup_skb', 'cgroup_inet_egress'),
  d('cgroup/skb', 'cgroup_skb'),
  d('cgroup/sock_create', 'cgroup_sock', 'cgroup_inet_sock_create'),
  d('cgroup/sock_release', 'cgroup_sock', 'cgroup_inet_sock_release'),
  d('cgroup/sock', 'cgroup_sock', 'cgroup_inet_sock_create'),
  d('cgroup/post_bind4', 'cgroup_sock', 'cgroup_inet4_post_bind'),
  d('cgroup/post_bind6', 'cgroup_sock', 'cgroup_inet6_post_bind'),
  d('cgroup/bind4', 'cgroup_sock_addr', 'cgroup_inet4_bind'),
  d('cgroup/bind6', 'cgroup_sock_addr', 'cgroup_inet6_bind'),
  d('cgroup/connect4', 'cgroup_sock_addr', 'cgroup_inet4_connect'),
  d('cgroup/connect6', 'cgroup_sock_addr', 'cgroup_inet6_connect'),
  d('cgroup/sendmsg4', 'cgroup_sock_addr', 'cgroup_udp4_sendmsg'),
  d('cgroup/sendmsg6', 'cgroup_sock_addr', 'cgroup_udp6_sendmsg'),
  d('cgroup/recvmsg4', 'cgroup_sock_addr', 'cgroup_udp4_recvmsg'),
  d('cgroup/recvmsg6', 'cgroup_sock_addr', 'cgroup_udp6_recvmsg'),
  d('cgroup/getpeername4', 'cgroup_sock_addr', 'cgroup_inet4_getpeername'),
  d('cgroup/getpeername6', 'cgroup_sock_addr', 'cgroup_inet6_getpeername'),
  d('cgroup/getsockname4', 'cgroup_sock_addr', 'cgroup_inet4_getsockname'),
  d('cgroup/getsockname6', 'cgroup_sock_addr', 'cgroup_inet6_getsockname'),
  d('cgroup/sysctl', 'cgroup_sysctl', 'cgroup_sysctl'),
  d('cgroup/getsockopt', 'cgroup_sockopt', 'cgroup_getsockopt'),
  d('cgroup/setsockopt', 'cgroup_sockopt', 'cgroup_setsockopt'),
  d('cgroup/dev', 'cgroup_device', 'cgroup_device'),
  d('struct_ops+', 'struct_ops'),
  d('sk_lookup', 'sk_lookup', 'sk_lookup'),
  d('netfilter', 'netfilter', 'netfilter'),
];

export function sectionDefMatches(def: SectionDef, section: string): boolean {
  const pattern = def.sec;
  const last = pattern[pattern.length - 1];
  if (last === '/') return section.startsWith(pattern);
  if (last === '+') {
    const base = pattern.slice(0, -1);
    if (!section.startsWith(base)) return false;
    return section.length === base.length || section[base.length] === '/';
  }
  return section === pattern;
}

/** The section definition for a program section name, or undefined for a section libbpf does not know. */
export function findSectionDef(section: string): SectionDef | undefined {
  return SECTION_DEFS.find((def) => sectionDefMatches(def, section));
}

/**
 * The XDP tracepoints (include/trace/events/xdp.h, and mem_connect/mem_disconnect of the same file):
 * the events wxdp's own data path raises, which `SEC("tp_btf/<name>")` programs may attach to.
 */
export const XDP_TRACEPOINTS = [
  'xdp_exception',
  'xdp_bulk_tx',
  'xdp_redirect',
  'xdp_redirect_err',
  'xdp_redirect_map',
  'xdp_redirect_map_err',
  'xdp_cpumap_kthread',
  'xdp_cpumap_enqueue',
  'xdp_devmap_xmit',
  'mem_disconnect',
  'mem_connect',
  'mem_return_failed',
  'bpf_xdp_link_attach_failed',
] as const;

/** The XDP tracepoints wxdp raises with the kernel's arguments (src/verifier/tracing.ts has their prototypes). */
const TP_BTF_RUNS: readonly string[] = [
  'xdp_exception', 'xdp_bulk_tx', 'xdp_redirect', 'xdp_redirect_err', 'xdp_redirect_map', 'xdp_redirect_map_err', 'xdp_cpumap_kthread',
  'xdp_cpumap_enqueue', 'xdp_devmap_xmit', 'mem_connect', 'mem_disconnect',
];

/**
 * The XDP tracepoints with a tracefs event on Linux 6.18, each with its record's size (the last field's
 * offset + size in /sys/kernel/tracing/events/xdp/NAME/format: what perf_event_set_bpf_prog checks a
 * classic tracepoint program's ctx reads against). xdp_redirect_map and xdp_redirect_map_err have none
 * (their events were dropped); a `tracepoint/xdp/…` program for them loads and cannot attach (ENOENT).
 */
export const TP_RECORD_SIZES: Readonly<Record<string, number>> = {
  xdp_exception: 20,
  xdp_bulk_tx: 28,
  xdp_redirect: 36,
  xdp_redirect_err: 36,
  xdp_cpumap_kthread: 44,
  xdp_cpumap_enqueue: 32,
  xdp_devmap_xmit: 32,
  mem_disconnect: 32,
  mem_connect: 44,
};

/** `tracepoint/CATEGORY/NAME` or `tp/CATEGORY/NAME` (BPF_PROG_TYPE_TRACEPOINT): the event, or undefined. */
export function classicTracepointTarget(section: string): { category: string; name: string } | undefined {
  const m = /^(?:tracepoint|tp)\/([^/]+)\/([^/]+)$/.exec(section);
  return m ? { category: m[1]!, name: m[2]! } : undefined;
}

/** `raw_tracepoint/NAME` or `raw_tp/NAME` (BPF_PROG_TYPE_RAW_TRACEPOINT): the tracepoint, or undefined. */
export function rawTracepointTarget(section: string): string | undefined {
  const m = /^(?:raw_tracepoint|raw_tp)\/([^/]+)$/.exec(section);
  return m ? m[1] : undefined;
}

/** The tracepoint a `tp_btf/NAME` (or `tp_btf+`-matched) section attaches to, or undefined. */
export function tpBtfTarget(section: string): string | undefined {
  const m = /^tp_btf\/(.+)$/.exec(section);
  return m ? m[1] : undefined;
}

/**
 * Why wxdp cannot load a program of this section, in the words the loader reports ("program type …
 * is not supported by wxdp"), or undefined when it can: XDP (every attach type), sk_lookup,
 * sk_reuseport, and tp_btf, classic (`tracepoint/xdp/…`) and raw tracepoint programs on the XDP tracepoints. libbpf would hand the others to the
 * kernel; wxdp has no kprobes, cgroups or TC hook to run them on.
 */
export function unsupportedProgram(p: { type: ProgramType; section: string; attachType?: string }): string | undefined {
  if (p.type === 'xdp' || p.type === 'sk_lookup' || p.type === 'sk_reuseport') return undefined;
  // Classic and raw tracepoint programs name their event only at attach (the kernel loads them
  // whatever it is): wxdp loads those of the XDP tracepoints and checks the event when attached.
  if (p.type === 'tracepoint') {
    const t = classicTracepointTarget(p.section);
    if (t?.category === 'xdp') return undefined;
    return `program type tracepoint (${p.section}) is not supported by wxdp: it raises the xdp tracepoints only`;
  }
  if (p.type === 'raw_tracepoint') {
    const t = rawTracepointTarget(p.section);
    if (t !== undefined && (XDP_TRACEPOINTS as readonly string[]).includes(t)) return undefined;
    return `program type raw_tracepoint (${p.section}) is not supported by wxdp: it raises the xdp tracepoints only`;
  }
  if (p.type === 'tracing' && p.attachType === 'trace_raw_tp') {
    const tp = tpBtfTarget(p.section);
    if (tp !== undefined && TP_BTF_RUNS.includes(tp)) return undefined;
    return (XDP_TRACEPOINTS as readonly string[]).includes(tp ?? '')
      ? `program type tracing (tp_btf/${tp}) is not supported by wxdp yet: it does not raise the XDP tracepoints`
      : `program type tracing (tp_btf/${tp ?? '?'}) is not supported by wxdp`;
  }
  return `program type ${p.type}${p.type === 'unspec' ? ` (section '${p.section}' names none libbpf knows)` : ''} is not supported by wxdp`;
}
