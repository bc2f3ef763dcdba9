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
import statistics
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
