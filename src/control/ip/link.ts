// `ip link` (iproute2 ip/iplink.c, link_veth.c, iplink_vlan.c): add (dummy, veth with its peer, vlan on
// a parent with id and 802.1Q/802.1ad), set (up/down, mtu, address, name), delete, show — printed as
// print_linkinfo prints a link (ipaddress.c), which `ip addr show` shares.

import type { LinkChange, LinkSpec } from '../net_types.js';
import { ifindexOf, talk, unsupported, type IpContext } from './context.js';
import { vlanProtoA2n } from './names.js';
import { ipaddrList } from './show.js';
import { Argv, atoi, duparg, duparg2, failed, fatal, getInteger, getU16, invarg, IpError, llAddr, macText, matches, nodev, validIfname } from './syntax.js';

export const LINK_USAGE = `Usage: ip link add [link DEV] [ name ] NAME
		    [ address LLADDR ]
		    [ mtu MTU ] [index IDX ]
		    type TYPE [ ARGS ]

	ip link delete { DEVICE | dev DEVICE } type TYPE [ ARGS ]

	ip link set { DEVICE | dev DEVICE }
			[ { up | down } ]
			[ arp { on | off } ]
			[ address LLADDR ]
			[ mtu MTU ]
			[ name NEWNAME ]

	ip link show [ DEVICE ] [ up ] [ type TYPE ]

TYPE := { dummy | veth | vlan }
`;

function usage(): never {
  throw fatal(LINK_USAGE);
}

/** What iplink_parse gathered (the subset of struct iplink_req wxdp's links have). */
interface LinkReq {
  up?: boolean;
  name?: string;
  dev?: string;
  index?: number;
  link?: string;
  address?: Uint8Array;
  mtu?: number;
  /** `arp on` (true) / `arp off` (false). */
  arp?: boolean;
  type?: string;
  todo: string[];
}

/** iplink_parse: the generic words, up to `type KIND` (returned with the cursor past it). */
function parse(a: Argv, create: boolean): LinkReq {
  const req: LinkReq = { todo: [] };
  let name: string | undefined;
  let dev: string | undefined;
  for (; a.argc > 0; a.fwd()) {
    const w = a.arg;
    if (w === 'up') req.up = true;
    else if (w === 'down') req.up = false;
    else if (w === 'name') {
      a.next();
      if (name !== undefined) throw duparg('name', a.arg);
      if (!validIfname(a.arg)) throw invarg('"name" not a valid ifname', a.arg);
      name = a.arg;
      if (dev === undefined) dev = name;
    } else if (w === 'index') {
      a.next();
      if (req.index !== undefined) throw duparg('index', a.arg);
      const index = atoi(a.arg);
      if (index <= 0) throw invarg('Invalid "index" value', a.arg);
      req.index = index;
    } else if (matches(w, 'link')) {
      req.link = a.next();
    } else if (matches(w, 'address')) {
      a.next();
      const mac = llAddr(a.arg);
      if (!(mac instanceof Uint8Array)) throw mac;
      req.address = mac;
    } else if (matches(w, 'broadcast') || w === 'brd') {
      a.next();
      const mac = llAddr(a.arg);
      if (!(mac instanceof Uint8Array)) throw mac;
      req.todo.push('broadcast');
    } else if (matches(w, 'txqueuelen') || w === 'qlen' || matches(w, 'txqlen')) {
      a.next();
      if (getInteger(a.arg, 0) === undefined) throw invarg('Invalid "txqueuelen" value\n', a.arg);
      req.todo.push('txqueuelen');
    } else if (w === 'mtu') {
      a.next();
      if (req.mtu !== undefined) throw duparg('mtu', a.arg);
      const mtu = getInteger(a.arg, 0);
      if (mtu === undefined) throw invarg('Invalid "mtu" value\n', a.arg);
      req.mtu = mtu;
    } else if (['multicast', 'allmulticast', 'promisc', 'trailers', 'arp', 'carrier', 'protodown'].includes(w) || matches(w, 'dynamic')) {
      a.next();
      if (a.arg !== 'on' && a.arg !== 'off') throw failed(`Error: argument of "${matches(w, 'dynamic') ? 'dynamic' : w}" must be "on" or "off", not "${a.arg}"\n`);
      // arp: IFF_NOARP in ifi_change, set for off; the other flags wxdp's links do not have
      if (w === 'arp') req.arp = a.arg === 'on';
      else req.todo.push(w);
    } else if (['netns', 'group', 'mode', 'state', 'vf', 'vrf', 'link-netns', 'link-netnsid', 'gso_max_size', 'gso_max_segs', 'gro_max_size', 'parentdev', 'xdp', 'xdpgeneric', 'xdpdrv', 'xdpoffload', 'protodown_reason'].includes(w) || matches(w, 'master') || matches(w, 'alias') || matches(w, 'numtxqueues') || matches(w, 'numrxqueues') || matches(w, 'addrgenmode')) {
      throw unsupported(w, 'link');
    } else if (matches(w, 'nomaster')) {
      req.todo.push('nomaster');
    } else if (matches(w, 'type')) {
      req.type = a.next();
      a.fwd();
      break;
    } else {
      if (matches(w, 'help')) usage();
      if (w === 'dev') a.next();
      if (dev !== name) throw duparg2('dev', a.arg);
      if (!a.arg || /[/\s]/.test(a.arg)) throw invarg('"dev" not a valid ifname', a.arg);
      dev = a.arg;
    }
  }
  if (name === undefined) name = dev;
  else if (dev === undefined) dev = name;
  if (req.index !== undefined && !create) throw fatal('index can be used only when creating devices or when moving device to another netns.\n');
  if (!create && dev === undefined) throw fatal('Not enough information: "dev" argument is required.\n');
  if (create && name !== dev) throw fatal('both "name" and "dev" cannot be used when creating devices.\n');
  if (name !== undefined) req.name = name;
  if (dev !== undefined) req.dev = dev;
  return req;
}

/** do_iplink */
export function doIplink(ctx: IpContext, a: Argv): string {
  if (a.argc < 1) return ipaddrList(ctx, a, 'link', usage);
  const w = a.arg;
  a.fwd();
  if (matches(w, 'add')) return add(ctx, a);
  if (matches(w, 'set') || matches(w, 'change')) return set(ctx, a);
  if (matches(w, 'replace')) throw unsupported('link replace', 'link');
  if (matches(w, 'delete')) return del(ctx, a);
  if (matches(w, 'show') || matches(w, 'lst') || matches(w, 'list')) return ipaddrList(ctx, a, 'link', usage);
  if (matches(w, 'xstats') || matches(w, 'afstats') || matches(w, 'property')) throw unsupported(`link ${w}`, 'link');
  if (matches(w, 'help')) usage();
  throw fatal(`Command "${w}" is unknown, try "ip link help".\n`);
}

/** The peer words of `type veth peer …` (veth_parse_opt: iplink_parse again; a second `type` is a duplicate). */
function vethPeer(a: Argv): LinkReq | undefined {
  if (a.argc <= 0) return undefined;
  // veth's print_usage writes to stdout whatever FILE it is given
  if (a.arg !== 'peer') throw new IpError('', { status: 1, fatal: false, stdout: "Usage: ip link <options> type veth [peer <options>]\nTo get <options> type 'ip link add help'\n" });
  a.fwd();
  const peer = parse(a, true);
  if (peer.type !== undefined) throw duparg('type', peer.type);
  return peer;
}

/** iplink_modify(RTM_NEWLINK, NLM_F_CREATE|NLM_F_EXCL) */
function add(ctx: IpContext, a: Argv): string {
  const req = parse(a, true);
  if (req.type === undefined) throw failed('Not enough information: "type" argument is required\n');
  if (req.link !== undefined && !ifindexOf(ctx, req.link)) throw nodev(req.link);
  const kind = req.type;
  const spec: LinkSpec = { name: req.name ?? `${kind}%d`, kind: kind as LinkSpec['kind'] };
  if (req.index !== undefined) spec.index = req.index;
  if (req.mtu !== undefined) spec.mtu = req.mtu;
  if (req.address) spec.address = macText(req.address);
  let peer: LinkReq | undefined;
  if (kind === 'veth') {
    peer = vethPeer(a);
    if (peer?.link !== undefined && !ifindexOf(ctx, peer.link)) throw nodev(peer.link);
    if (peer) spec.peer = { name: peer.name ?? 'veth%d', ...(peer.index !== undefined ? { index: peer.index } : {}) };
    if (peer?.todo.length) throw unsupported(`peer ${peer.todo[0]}`, 'link');
  } else if (kind === 'vlan') {
    let id: number | undefined;
    let protocol: number | undefined;
    let data = false;
    for (; a.argc > 0; a.fwd()) {
      const w = a.arg;
      data = true;
      if (matches(w, 'protocol')) {
        a.next();
        protocol = vlanProtoA2n(a.arg);
        if (protocol === undefined) throw invarg('protocol is invalid', a.arg);
      } else if (matches(w, 'id')) {
        a.next();
        id = getU16(a.arg, 0);
        if (id === undefined) throw invarg('id is invalid', a.arg);
      } else if (['reorder_hdr', 'gvrp', 'mvrp', 'loose_binding', 'bridge_binding'].some((o) => matches(w, o))) {
        const o = ['reorder_hdr', 'gvrp', 'mvrp', 'loose_binding', 'bridge_binding'].find((x) => matches(w, x))!;
        a.next();
        if (a.arg !== 'on' && a.arg !== 'off') throw failed(`Error: argument of "${o}" must be "on" or "off", not "${a.arg}"\n`);
        // REORDER_HDR on is the kernel's default and wxdp's only behaviour
        if (!(o === 'reorder_hdr' && a.arg === 'on')) req.todo.push(o);
      } else if (matches(w, 'ingress-qos-map') || matches(w, 'egress-qos-map')) {
        throw unsupported(w, 'link');
      } else if (matches(w, 'help')) {
        throw failed(VLAN_USAGE);
      } else throw failed(`vlan: unknown command "${w}"?\n${VLAN_USAGE}`);
    }
    // vlan_validate / vlan_newlink, which the kernel runs before anything else of the request
    const vlanErr = (m: string): IpError => new IpError(`Error: 8021q: ${m}.\n`, { status: 2, fatal: false, errno: 'EINVAL' });
    if (!data) throw vlanErr('VLAN properties not specified');
    if (protocol !== undefined && protocol !== 0x8100 && protocol !== 0x88a8) throw new IpError('Error: 8021q: Invalid VLAN protocol.\n', { status: 2, fatal: false }); // EPROTONOSUPPORT
    if (id !== undefined && id >= 4095) throw new IpError('Error: 8021q: Invalid VLAN id.\n', { status: 2, fatal: false, errno: 'ERANGE' });
    if (id === undefined) throw vlanErr('VLAN id not specified');
    if (req.link === undefined) throw vlanErr('link not specified');
    spec.vlan = { parent: req.link, id, ...(protocol !== undefined ? { protocol: protocol === 0x88a8 ? ('802.1ad' as const) : ('802.1Q' as const) } : {}) };
  } else if (kind === 'dummy') {
    if (a.argc > 0) {
      if (matches(a.arg, 'help')) usage();
      throw failed(`Garbage instead of arguments "${a.arg} ...". Try "ip link help".\n`);
    }
  } else {
    if (a.argc > 0 && matches(a.arg, 'help')) usage();
    // rtnl_newlink: no such rtnl_link_ops (and no module to load)
    throw new IpError('Error: Unknown device type.\n', { status: 2, fatal: false, errno: 'EOPNOTSUPP' });
  }
  if (req.link !== undefined && kind !== 'vlan') req.todo.push('link');
  if (req.todo.length) throw unsupported(req.todo[0]!, 'link');
  talk(() => ctx.t.links.add(spec));
  // rtnl_newlink's ifi_flags (rtnl_configure_link): arp and up, in one dev_change_flags
  if (req.up || req.arp !== undefined) talk(() => ctx.t.links.set(realName(ctx, spec.name), { ...(req.arp !== undefined ? { arp: req.arp } : {}), ...(req.up ? { up: true } : {}) }));
  if (peer?.up || peer?.mtu !== undefined || peer?.address || peer?.arp !== undefined) {
    const change: LinkChange = {};
    if (peer.mtu !== undefined) change.mtu = peer.mtu;
    if (peer.address) change.address = macText(peer.address);
    if (peer.arp !== undefined) change.arp = peer.arp;
    if (peer.up) change.up = true;
    talk(() => ctx.t.links.set(realName(ctx, spec.peer!.name), change));
  }
  return '';
}

/** The name a link got (a "%d" template names the newest link that matches it). */
function realName(ctx: IpContext, name: string): string {
  if (!name.includes('%d')) return name;
  const re = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace('%d', '\\d+')}$`);
  const hits = ctx.t.links.list().filter((l) => re.test(l.ifname));
  return hits.sort((x, y) => y.ifindex - x.ifindex)[0]?.ifname ?? name;
}

const VLAN_USAGE = `Usage: ... vlan id VLANID
		[ protocol VLANPROTO ]
		[ reorder_hdr { on | off } ]

VLANID := 0-4095
VLANPROTO: [ 802.1Q | 802.1ad ]
`;

/** iplink_modify(RTM_NEWLINK, 0): `ip link set DEV …` */
function set(ctx: IpContext, a: Argv): string {
  const req = parse(a, false);
  const dev = req.dev!;
  if (req.address) {
    // iplink_parse checks the length against the device's (nl_get_ll_addr_len) before it sends
    const info = ctx.t.links.list().find((l) => l.ifname === dev);
    const halen = info ? info.address.split(':').length : -1;
    if (info && info.address !== '' && halen !== req.address.length) throw failed(`Invalid address length ${req.address.length} - must be ${halen} bytes\n`);
  }
  if (!ifindexOf(ctx, dev)) throw nodev(dev);
  if (req.type !== undefined) throw unsupported(`set type ${req.type}`, 'link');
  if (req.link !== undefined) req.todo.push('link');
  if (req.todo.length) throw unsupported(req.todo[0]!, 'link');
  const change: LinkChange = {};
  if (req.up !== undefined) change.up = req.up;
  if (req.arp !== undefined) change.arp = req.arp;
  if (req.mtu !== undefined) change.mtu = req.mtu;
  if (req.address) change.address = macText(req.address);
  if (req.name !== undefined && req.name !== dev) change.name = req.name;
  talk(() => ctx.t.links.set(dev, change));
  return '';
}

/** iplink_modify(RTM_DELLINK, 0) */
function del(ctx: IpContext, a: Argv): string {
  const req = parse(a, false);
  const dev = req.dev!;
  if (!ifindexOf(ctx, dev)) throw nodev(dev);
  if (a.argc > 0) throw failed(`Garbage instead of arguments "${a.arg} ...". Try "ip link help".\n`);
  talk(() => ctx.t.links.del(dev));
  return '';
}

