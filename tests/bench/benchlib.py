# gst-vdi: what the benchmark scripts in tests/bench/ share.
#
# Where the tree and the build are, the test user, vdid's HTTP API with
# Basic auth, CPU ticks of a process or thread, the --rounds/--seconds/
# --warmup options of the interleaved benchmarks, and the median of one
# figure over runs. Scripts import it from their own directory:
#
#   sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
#   import benchlib

import argparse
import base64
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
if os.path.isdir(os.path.join(_ROOT, "meson-info")):
    # The copy meson puts in BUILD/tests/bench: the source tree is in meson-info.
    with open(os.path.join(_ROOT, "meson-info", "meson-info.json")) as _f:
        SRC = json.load(_f)["directories"]["source"]
    BUILD = os.environ.get("VDI_BUILD_ROOT") or _ROOT
else:
    SRC = _ROOT
    BUILD = os.environ.get("VDI_BUILD_ROOT") or os.path.join(SRC, "build")
TEST_USER = os.environ.get("VDI_TEST_USER", "vditest")
TICK = os.sysconf("SC_CLK_TCK")


def request(method, url, auth, body=None):
    """(status, body text) of an HTTP request with Basic @auth ("user:pw")."""
    req = urllib.request.Request(url, method=method, data=body.encode() if body else None)
    req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def hash_password(password):
    """vdid's hash of @password, for a [users] line."""
    return subprocess.run([f"{BUILD}/orchestrator/vdid", "hash-password", password],
                          capture_output=True, text=True, check=True).stdout.strip()


def vdid_env(**extra):
    """The environment a built vdid (and its workers) run with."""
    return dict(os.environ, GST_PLUGIN_PATH=f"{BUILD}/plugins/wayland:{BUILD}/plugins/session",
                **extra)


def start_vdid(config, env, stderr=subprocess.DEVNULL, vdid=None):
    """A vdid on a free loopback port: (process, base URL). Its log goes to
    @stderr (a file, or nowhere). @vdid: another vdid binary than the
    build's (its vdid-worker and vdid-srt next to it)."""
    proc = subprocess.Popen([vdid or f"{BUILD}/orchestrator/vdid", "--config", config, "--listen",
                             "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=stderr,
                            text=True, env=env)
    for line in proc.stdout:
        m = re.search(r"listening on (http://\S+)/$", line.strip())
        if m:
            return proc, m.group(1)
    sys.exit("vdid did not start")


def wait_started(base, sid, auth, poll=0.05):
    """Polls session @sid until it is no longer "starting"; its state."""
    while True:
        state = json.loads(request("GET", f"{base}/api/v1/sessions/{sid}", auth)[1])["state"]
        if state != "starting":
            return state
        time.sleep(poll)


def cpu_ticks(what):
    """utime + stime of a pid, or of a /proc/.../stat path (threads)."""
    path = what if isinstance(what, str) else f"/proc/{what}/stat"
    with open(path) as f:
        fields = f.read().rsplit(")", 1)[1].split()  # the name may hold spaces
    return int(fields[11]) + int(fields[12])


def rounds_parser(rounds=3, seconds=8, warmup=2):
    """An ArgumentParser with the options of the interleaved benchmarks."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=rounds)
    ap.add_argument("--seconds", type=float, default=seconds)
    ap.add_argument("--warmup", type=float, default=warmup)
    return ap


def median(runs, key):
    """The median of @key over @runs (a list of dicts)."""
    return statistics.median(r[key] for r in runs)
