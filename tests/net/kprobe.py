#!/usr/bin/python3
# The kernel side of tests/net/kernel.ts: run inside the probe namespace (ip netns exec), send each frame
# out of the named veth (AF_PACKET) and collect, per frame, what comes back on every veth of the probe
# namespace, the kernel's drop reasons meanwhile (kfree_skb tracepoint in a trace instance of this process's
# own, wx-rx-PID: test files run side by side, and one instance shared between them had one process clear or
# disable the tracing while another's frame was being dropped, its reason lost or given to the next frame) and the
# router namespace's SNMP counters that changed (/proc/net/snmp, snmp6, netstat).
#
# argv[1]: JSON {"router": NS, "wait": seconds}. stdin: lines "IFNAME HEX". stdout: one JSON list.
# Frames the kernel sends by itself (router solicitations, MLD reports) are left out.
import json, os, select, socket, subprocess, sys, time

cfg = json.loads(sys.argv[1])
if not os.path.exists('/sys/kernel/tracing/instances'):
    subprocess.run(['mount', '-t', 'tracefs', 'nodev', '/sys/kernel/tracing'], check=True)
I = '/sys/kernel/tracing/instances'
T = I + '/wx-rx-%d' % os.getpid()
# instances left by processes that were killed (and the old shared one) are removed
for name in os.listdir(I):
    if name == 'wx-rx' or (name.startswith('wx-rx-') and name[6:].isdigit() and not os.path.exists('/proc/' + name[6:])):
        try:
            os.rmdir(I + '/' + name)
        except OSError:
            pass
os.makedirs(T, exist_ok=True)
# The tracepoint is machine-wide: other namespaces' drops (another test file's router dropping its frames at
# the same moment) would be taken for ours. Only events in this process's context are kept: a frame sent on
# a veth is received, forwarded or dropped in the softirq its send raises, run as the send returns. A drop
# the kernel defers to ksoftirqd is missed; the tests ask again for a frame neither forwarded nor traced.
with open(T + '/set_event_pid', 'w') as f:
    f.write(str(os.getpid()))


def put(path, value):
    with open(path, 'w') as f:
        f.write(value)


def counters():
    out = {}
    r = subprocess.run(['ip', 'netns', 'exec', cfg['router'], 'cat', '/proc/net/snmp', '/proc/net/netstat'],
                       capture_output=True, text=True).stdout.splitlines()
    for head, vals in zip(r[0::2], r[1::2]):
        k, v = head.split(), vals.split()
        for a, b in zip(k[1:], v[1:]):
            out[k[0][:-1] + ':' + a] = int(b)
    r = subprocess.run(['ip', 'netns', 'exec', cfg['router'], 'cat', '/proc/net/snmp6'], capture_output=True, text=True).stdout
    for line in r.splitlines():
        p = line.split()
        if len(p) == 2:
            n = p[0]
            g = 'Icmp6' if n.startswith('Icmp6') else 'Ip6' if n.startswith('Ip6') else 'Udp6' if n.startswith('Udp6') else n.split('6')[0] + '6'
            out[g + ':' + n[len(g):]] = int(p[1])
    return out


def noise(f):
    # 33:33:xx multicast ICMPv6 the kernel sends unprompted: RS (133), MLD reports (131, 143)
    if len(f) > 54 and f[0] == 0x33 and f[12:14] == b'\x86\xdd' and f[20] == 58:
        return f[54] in (131, 133, 143)
    return f[12:14] == b'\x86\xdd' and len(f) > 54 and f[20] == 0 and f[62] in (143,)


s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))

results = []


def probe(line):
    line = line.strip()
    if not line:
        return
    ifname, frame = line.split()
    time.sleep(0.01)
    while select.select([s], [], [], 0)[0]:
        s.recv(65535)
    before = counters()
    put(T + '/trace', '')
    put(T + '/events/skb/kfree_skb/enable', '1')
    s.sendto(bytes.fromhex(frame), (ifname, 0))
    got = []
    end = time.time() + cfg.get('wait', 0.15)
    while True:
        left = end - time.time()
        if left <= 0:
            break
        if not select.select([s], [], [], left)[0]:
            break
        f, addr = s.recvfrom(65535)
        if addr[2] == socket.PACKET_OUTGOING or noise(f):
            continue
        got.append([addr[0], f.hex()])
    put(T + '/events/skb/kfree_skb/enable', '0')
    drops = [l.split('reason: ')[1].strip() for l in open(T + '/trace') if 'reason: ' in l]
    after = counters()
    results.append({'tx': got, 'drops': drops, 'counters': {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}})


try:
    for line in sys.stdin:
        probe(line)
finally:
    put(T + '/events/skb/kfree_skb/enable', '0')
    os.rmdir(T)
print(json.dumps(results))
