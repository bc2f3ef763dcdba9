#!/usr/bin/python3
# gst-vdi front-door benchmark (docs/fleet.md, docs/benchmarks.md "Front door").
#
# Runs three real vdid nodes and a door (vdid with [door], HAProxy) on
# loopback, and measures, side by side with the direct node:
#   1. /api latency: GET /health, GET /api/v1/sessions/ID (HAProxy to the
#      node) and GET /api/v1/sessions (the door asks every node), each
#      --requests times, direct and through the door interleaved, with Basic
#      auth (a yescrypt hash per request) and with the login cookie;
#   2. session start: POST /api/v1/sessions -> "running", --starts times
#      direct at a node and through the door, interleaved, each deleted after;
#   3. time to detect a lost node: a session on node n3, n3's vdid killed
#      (SIGKILL), until the door lists the session "lost"; --kills rounds,
#      n3 restarted on its runtime dir (which reaps what it left) each time.
#
#   ./scripts/build && python3 tests/bench/door-bench.py [--requests 200] [--starts 5] [--kills 3]

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

BUILD, USER = benchlib.BUILD, benchlib.TEST_USER
request = benchlib.request
AUTH = f"{USER}:pw"
SECRET = "door-bench-secret-0123456789"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(config_text, tmp, name):
    path = os.path.join(tmp, name + ".conf")
    with open(path, "w") as f:
        f.write(config_text)
    log = open(os.path.join(tmp, name + ".log"), "w")
    proc = subprocess.Popen([f"{BUILD}/orchestrator/vdid", "--config", path],
                            stdout=subprocess.PIPE, stderr=log, text=True,
                            env=benchlib.vdid_env())
    for line in proc.stdout:
        if "listening on" in line:
            return proc
    sys.exit(f"{name} did not start; see {log.name}")


def node_config(i, port, run, user_hash):
    return (f"[server]\nlisten=127.0.0.1:{port}\nsrt-listen=127.0.0.1:0\n"
            "trusted-proxies=127.0.0.1\nmax-connections-per-address=10000\n"
            f"[users]\n{USER}={user_hash}\n"
            "[sessions]\nwidth=320\nheight=240\nfps=15\naudio=false\nhls=false\n"
            f"runtime-dir={run}\n[budget]\ncpu=4\nsession-cpu=0.25\n[dbus]\nbus=none\n"
            f"[fleet]\nsecret={SECRET}\n[node]\nid=n{i}\n")


def get_cookie(url, cookie):
    """GET @url with the login cookie @cookie (the web client's way)."""
    req = urllib.request.Request(url, headers={"Cookie": f"vdid_session={cookie}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, r.read()


def timed(f):
    t = time.perf_counter()
    f()
    return (time.perf_counter() - t) * 1000


def summary(ms):
    ms = sorted(ms)
    return {"median_ms": round(statistics.median(ms), 2),
            "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 2),
            "min_ms": round(ms[0], 2), "max_ms": round(ms[-1], 2), "n": len(ms)}


def wait_until(f, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if f():
            return
        time.sleep(0.05)
    sys.exit(f"timed out: {what}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--starts", type=int, default=5)
    ap.add_argument("--kills", type=int, default=3)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="door-bench-")
    os.chmod(tmp, 0o755)
    h = benchlib.hash_password("pw")
    ports = [free_port() for _ in range(3)]
    runs = [os.path.join(tmp, f"run{i}") for i in (1, 2, 3)]
    for r in runs:
        os.makedirs(r)
        os.chmod(r, 0o755)
    nodes = [start(node_config(i + 1, ports[i], runs[i], h), tmp, f"n{i + 1}") for i in range(3)]
    door_port = free_port()
    door = start(f"[users]\n{USER}={h}\n[fleet]\nsecret={SECRET}\n[door]\n"
                 f"listen=127.0.0.1:{door_port}\npoll-interval=1000\nlost-after=3000\nnodes="
                 + ";".join(f"http://127.0.0.1:{p}" for p in ports) + "\n", tmp, "door")
    direct, front = f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{door_port}"
    out = {}
    try:
        wait_until(lambda: request("GET", f"{front}/api/v1/nodes", AUTH)[1].count('"up"') == 3,
                   15, "three nodes up at the door")
        # A session on n1 for the item requests.
        st, body = request("POST", f"{direct}/api/v1/sessions", AUTH, "{}")
        sid = json.loads(body)["id"]
        benchlib.wait_started(direct, sid, AUTH)
        # The login cookie (a fleet token, taken by every vdid of the fleet).
        req = urllib.request.Request(f"{front}/api/v1/login", method="POST", data=json.dumps(
            {"user": USER, "password": "pw"}).encode(), headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            cookie = r.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
        lat = {k: [] for k in ("health", "item", "list", "item-cookie", "list-cookie")}
        lat_door = {k: [] for k in lat}
        for _ in range(args.requests):
            for base, into in ((direct, lat), (front, lat_door)):
                into["health"].append(timed(lambda: request("GET", f"{base}/health", AUTH)))
                into["item"].append(timed(
                    lambda: request("GET", f"{base}/api/v1/sessions/{sid}", AUTH)))
                into["list"].append(timed(lambda: request("GET", f"{base}/api/v1/sessions", AUTH)))
                into["item-cookie"].append(timed(
                    lambda: get_cookie(f"{base}/api/v1/sessions/{sid}", cookie)))
                into["list-cookie"].append(timed(
                    lambda: get_cookie(f"{base}/api/v1/sessions", cookie)))
        out["api"] = {k: {"direct": summary(lat[k]), "door": summary(lat_door[k])} for k in lat}
        request("DELETE", f"{direct}/api/v1/sessions/{sid}", AUTH)

        starts = {"direct": [], "door": []}
        for _ in range(args.starts):
            for name, base in (("direct", direct), ("door", front)):
                t = time.perf_counter()
                st, body = request("POST", f"{base}/api/v1/sessions", AUTH, "{}")
                if st != 201:
                    sys.exit(f"create failed: {st} {body}")
                s = json.loads(body)["id"]
                state = benchlib.wait_started(base, s, AUTH, poll=0.02)
                starts[name].append((time.perf_counter() - t) * 1000)
                if state != "running":
                    sys.exit(f"session {s}: {state}")
                request("DELETE", f"{base}/api/v1/sessions/{s}", AUTH)
        out["start"] = {k: summary(v) for k, v in starts.items()}

        detect = []
        n3 = f"http://127.0.0.1:{ports[2]}"
        for _ in range(args.kills):
            st, body = request("POST", f"{n3}/api/v1/sessions", AUTH, "{}")
            s = json.loads(body)["id"]
            benchlib.wait_started(n3, s, AUTH)
            wait_until(lambda: s in request("GET", f"{front}/api/v1/sessions", AUTH)[1], 10,
                       "the door lists the session")
            # The door's own report of n3 must hold it too (lost sessions
            # come from the last report).
            time.sleep(1.2)
            t = time.monotonic()
            nodes[2].kill()
            nodes[2].wait()

            def lost():
                return any(x["id"] == s and x["state"] == "lost" for x in
                           json.loads(request("GET", f"{front}/api/v1/sessions", AUTH)[1]))
            wait_until(lost, 15, "the session reported lost")
            detect.append((time.monotonic() - t) * 1000)
            nodes[2] = start(node_config(3, ports[2], runs[2], h), tmp, "n3")
            wait_until(lambda: request("GET", f"{front}/api/v1/nodes", AUTH)[1].count('"up"') == 3,
                       15, "n3 back at the door")
        out["lost_detect"] = summary(detect)
        out["settings"] = {"poll_interval_ms": 1000, "lost_after_ms": 3000}
    finally:
        door.terminate()
        door.wait()
        for n in nodes:
            n.terminate()
            n.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
