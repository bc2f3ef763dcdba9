#!/usr/bin/python3
# gst-vdi soak (issue 16): does anything of vdid or a worker grow with use?
#
# Runs a real vdid (as root, sessions as the test user) on a free loopback
# port and repeats, in steps of --step cycles:
#   1. viewer join/leave on one running session: a signalling WebSocket
#      (Basic auth), welcome, list, startSession, the worker's offer (its
#      viewer bin built), then the WebSocket closed; --viewers cycles;
#   2. session create/delete: POST /api/v1/sessions, running, DELETE, gone;
#      --sessions cycles.
# After each step (once the viewers are gone: vdi_viewers is 0) it samples
# the RSS and open fds of vdid and of the long-lived session's worker, and
# counts processes left by deleted sessions. Prints one table per phase.
#
#   ./scripts/build && sudo python3 tests/bench/vdid-soak.py [--viewers 200]
#       [--sessions 50] [--step 50]      (the sizes: about a minute here)

import argparse
import base64
import json
import os
import re
import shutil
import socket
import struct
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

BUILD, USER = benchlib.BUILD, benchlib.TEST_USER
request = benchlib.request


class WebSocket:
    """A minimal RFC 6455 client: text frames, one message per frame."""

    def __init__(self, base, path, auth):
        u = urllib.parse.urlparse(base)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        basic = base64.b64encode(auth.encode()).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {u.netloc}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           f"Sec-WebSocket-Version: 13\r\nAuthorization: Basic {basic}\r\n\r\n")
                          .encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self.buf += self._recv()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(f"no WebSocket upgrade: {head[:100]!r}")

    def _recv(self):
        data = self.sock.recv(65536)
        if not data:
            raise RuntimeError("vdid closed the WebSocket")
        return data

    def _take(self, n):
        while len(self.buf) < n:
            self.buf += self._recv()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def send(self, obj):
        self._frame(0x1, json.dumps(obj).encode())

    def message(self):
        while True:
            b0, b1 = self._take(2)
            n = b1 & 0x7f
            if n == 126:
                n = struct.unpack(">H", self._take(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._take(8))[0]
            payload = self._take(n)
            opcode = b0 & 0x0f
            if opcode == 0x1:
                return json.loads(payload)
            if opcode == 0x8:
                raise RuntimeError(f"WebSocket closed by vdid: {payload[2:]!r}")
            if opcode == 0x9:
                self._frame(0xA, payload)

    def wait_for(self, kind):
        while True:
            m = self.message()
            if m.get("type") == kind:
                return m
            if m.get("type") == "error":
                raise RuntimeError(f"signalling error: {m}")

    def close(self):
        try:
            self._frame(0x8, struct.pack(">H", 1000))
        finally:
            self.sock.close()


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) / 1024


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def descendants(root):
    """PIDs under @root (children, theirs, ...)."""
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        children.setdefault(ppid, []).append(int(name))
    out, todo = [], [root]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline") as f:
            return f.read().replace("\0", " ")
    except OSError:
        return ""


def metric(base, auth, name):
    text = request("GET", f"{base}/metrics", auth)[1]
    m = re.search(r"^%s (\S+)$" % re.escape(name), text, re.M)
    return float(m.group(1)) if m else 0.0


def wait_until(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            sys.exit(f"timed out waiting for {what}")
        time.sleep(0.05)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--viewers", type=int, default=200, help="viewer join/leave cycles")
    ap.add_argument("--sessions", type=int, default=50, help="session create/delete cycles")
    ap.add_argument("--step", type=int, default=50, help="cycles between two samples")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: sessions run as the test user")

    tmp = tempfile.mkdtemp(prefix="vdid-soak-")
    os.chmod(tmp, 0o755)
    conf = os.path.join(tmp, "vdid.conf")
    with open(conf, "w") as f:
        f.write(f"[users]\n{USER}={benchlib.hash_password('pw')}\n"
                f"[sessions]\nwidth=640\nheight=360\nfps=30\nmax-sessions=4\n"
                f"max-sessions-per-user=4\nidle-timeout=0\nruntime-dir={tmp}/run\n")
    env = benchlib.vdid_env(VDID_WEB_ROOT=f"{BUILD}/web/app")
    vdid, base = benchlib.start_vdid(conf, env)
    auth = f"{USER}:pw"
    t_start = time.monotonic()
    viewer_rows, session_rows = [], []

    def new_session():
        status, body = request("POST", f"{base}/api/v1/sessions", auth, "{}")
        if status != 201:
            sys.exit(f"POST /api/v1/sessions: {status} {body}")
        sid = json.loads(body)["id"]
        state = benchlib.wait_started(base, sid, auth)
        if state != "running":
            sys.exit(f"session {sid} is {state}")
        return sid

    def worker_pids():
        return [p for p in descendants(vdid.pid) if "vdid-worker" in cmdline(p)]

    try:
        # 1. viewers on one session
        sid = new_session()
        workers = worker_pids()
        if len(workers) != 1:
            sys.exit(f"expected one worker, found {workers}")
        worker = workers[0]
        path = f"/api/v1/sessions/{sid}/signalling"

        def no_viewers():
            return metric(base, auth, "vdi_viewers") == 0

        def sample_viewers(done):
            wait_until(no_viewers, 30, "the viewers to leave")
            viewer_rows.append((done, rss_mb(vdid.pid), fds(vdid.pid), rss_mb(worker),
                                fds(worker)))

        sample_viewers(0)
        for i in range(1, args.viewers + 1):
            ws = WebSocket(base, path, auth)
            ws.wait_for("welcome")
            ws.send({"type": "list"})
            producer = ws.wait_for("list")["producers"][0]["id"]
            ws.send({"type": "startSession", "peerId": producer})
            ws.wait_for("sessionStarted")
            offer = ws.wait_for("peer")
            if offer.get("sdp", {}).get("type") != "offer":
                sys.exit(f"no offer from the worker: {offer}")
            ws.close()
            if i % args.step == 0 or i == args.viewers:
                sample_viewers(i)
                print(f"viewers: {i} cycles", file=sys.stderr)
        request("DELETE", f"{base}/api/v1/sessions/{sid}", auth)
        wait_until(lambda: not worker_pids(), 30, "the viewers' session to end")

        # 2. session create/delete
        def sample_sessions(done):
            left = [p for p in descendants(vdid.pid)]
            session_rows.append((done, rss_mb(vdid.pid), fds(vdid.pid), len(left)))

        sample_sessions(0)
        for i in range(1, args.sessions + 1):
            sid = new_session()
            request("DELETE", f"{base}/api/v1/sessions/{sid}", auth)
            wait_until(lambda: not worker_pids(), 30, f"session {sid} to end")
            if i % args.step == 0 or i == args.sessions:
                sample_sessions(i)
                print(f"sessions: {i} cycles", file=sys.stderr)
    finally:
        vdid.terminate()
        vdid.wait(timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\n{args.viewers} viewer join/leave cycles on one session "
          f"(640x360 at 30 fps, x264), sampled with no viewer left:\n")
    print("| cycles | vdid RSS | vdid fds | worker RSS | worker fds |\n|---|---|---|---|---|")
    for done, vrss, vfds, wrss, wfds in viewer_rows:
        print(f"| {done} | {vrss:.1f} MB | {vfds} | {wrss:.1f} MB | {wfds} |")
    print(f"\n{args.sessions} session create/delete cycles, sampled with the session gone:\n")
    print("| cycles | vdid RSS | vdid fds | processes under vdid |\n|---|---|---|---|")
    for done, vrss, vfds, left in session_rows:
        print(f"| {done} | {vrss:.1f} MB | {vfds} | {left} |")
    print(f"\ntotal {time.monotonic() - t_start:.0f} s")


if __name__ == "__main__":
    main()
