#!/usr/bin/env python3
"""Send raw Ethernet frames and capture what comes back, with AF_PACKET (Node has no such sockets).

Runs inside a network namespace (ip netns exec NS python3 afpacket.py ...). Standard library only.
Bounded: every capture window, frame count and round count has a ceiling, and the script stops by
itself; it never sends anything but the frames it is given.

Two ways to call it:
  afpacket.py --send IF:HEX [--send IF:HEX ...] --capture IF [--capture IF ...] [--window MS] [--count N]
      one round; prints {"rounds": [ROUND]}
  afpacket.py --json < SPEC
      SPEC = {"settle": {"quietMs": 300, "maxMs": 5000},          (optional: drain until quiet first)
              "rounds": [{"send": [{"ifname": "w0", "hex": "..."}],
                          "capture": ["w0", "w1"], "windowMs": 150, "maxFrames": 64}]}
      prints {"settle": {"frames": {IF: [HEX]}, "quiet": true}, "rounds": [ROUND, ...]}
ROUND = {"frames": {IF: [HEX, ...]}, "stray": {IF: [HEX, ...]}, "sent": N, "full": false}
  frames: what each capture interface (of every round: the sockets are shared) received during the
          round's window, in arrival order (frames the interface itself sent, PACKET_OUTGOING, are
          left out);
  stray:  what was already waiting before the round sent anything (noise from an earlier round or
          from the kernel itself); full: the round stopped at maxFrames.
The capture sockets are opened once, before the first send, so nothing between rounds is lost.
"""

import argparse
import json
import select
import socket
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
MAX_WINDOW_MS = 10_000
MAX_FRAMES = 10_000
MAX_ROUNDS = 10_000
MAX_SENDS = 1_000
MAX_SETTLE_MS = 30_000


def clamp(v, lo, hi):
    return max(lo, min(hi, int(v)))


class Captures:
    def __init__(self, ifnames):
        self.socks = {}
        for name in ifnames:
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            s.bind((name, ETH_P_ALL))
            s.setblocking(False)
            self.socks[name] = s

    def _read_ready(self, timeout, out, limit):
        """Wait up to `timeout` s for frames; append them to out[ifname]. Returns frames read."""
        n = 0
        ready, _, _ = select.select(list(self.socks.values()), [], [], max(0.0, timeout))
        for name, s in self.socks.items():
            if s not in ready:
                continue
            while n < limit:
                try:
                    data, addr = s.recvfrom(65535)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue
                out.setdefault(name, []).append(data.hex())
                n += 1
        return n

    def collect(self, window_s, limit):
        """Everything that arrives on any capture socket within window_s (at most `limit` frames)."""
        out = {}
        got = 0
        deadline = time.monotonic() + window_s
        while got < limit:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            got += self._read_ready(left, out, limit - got)
        return out, got >= limit

    def drain(self):
        out = {}
        while self._read_ready(0, out, MAX_FRAMES):
            pass
        return out

    def settle(self, quiet_ms, max_ms):
        """Read until nothing arrived for quiet_ms (at most max_ms); returns (frames, quiet)."""
        out = {}
        start = time.monotonic()
        last = start
        while True:
            now = time.monotonic()
            if now - last >= quiet_ms / 1000:
                return out, True
            if now - start >= max_ms / 1000:
                return out, False
            if self._read_ready(min(quiet_ms / 1000 - (now - last), max_ms / 1000 - (now - start)), out, MAX_FRAMES):
                last = time.monotonic()


class Senders:
    def __init__(self):
        self.socks = {}

    def send(self, ifname, frame):
        s = self.socks.get(ifname)
        if s is None:
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
            s.bind((ifname, 0))
            self.socks[ifname] = s
        return s.send(frame)


def run(spec):
    rounds = spec.get("rounds", [])
    if len(rounds) > MAX_ROUNDS:
        raise ValueError(f"{len(rounds)} rounds: at most {MAX_ROUNDS}")
    names = []
    for r in rounds:
        for n in r.get("capture", []):
            if n not in names:
                names.append(n)
    caps = Captures(names)
    senders = Senders()
    result = {"rounds": []}
    settle = spec.get("settle")
    if settle:
        frames, quiet = caps.settle(clamp(settle.get("quietMs", 300), 1, MAX_SETTLE_MS), clamp(settle.get("maxMs", 5000), 1, MAX_SETTLE_MS))
        result["settle"] = {"frames": frames, "quiet": quiet}
    for r in rounds:
        sends = r.get("send", [])
        if len(sends) > MAX_SENDS:
            raise ValueError(f"{len(sends)} frames in a round: at most {MAX_SENDS}")
        stray = caps.drain()
        sent = 0
        at = time.monotonic()
        for f in sends:
            senders.send(f["ifname"], bytes.fromhex(f["hex"]))
            sent += 1
        window = clamp(r.get("windowMs", 150), 0, MAX_WINDOW_MS) / 1000
        frames, full = caps.collect(window, clamp(r.get("maxFrames", 64), 1, MAX_FRAMES))
        result["rounds"].append({"frames": frames, "stray": stray, "sent": sent, "full": full, "at": at})
    return result


def main():
    p = argparse.ArgumentParser(description="send frames and capture frames with AF_PACKET, inside a namespace")
    p.add_argument("--json", action="store_true", help="read the spec from stdin")
    p.add_argument("--send", action="append", default=[], metavar="IF:HEX")
    p.add_argument("--capture", action="append", default=[], metavar="IF")
    p.add_argument("--window", type=int, default=150, metavar="MS")
    p.add_argument("--count", type=int, default=64, metavar="N")
    a = p.parse_args()
    if a.json:
        spec = json.load(sys.stdin)
    else:
        sends = []
        for s in a.send:
            ifname, _, hexs = s.partition(":")
            sends.append({"ifname": ifname, "hex": hexs})
        spec = {"rounds": [{"send": sends, "capture": a.capture, "windowMs": a.window, "maxFrames": a.count}]}
    json.dump(run(spec), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
