#!/usr/bin/python3
# gst-vdi compositor benchmark (issue 13): sway vs headless Mutter, side by
# side in one run, 1920x1080, interleaved rounds.
#
#   idle:   a still screen; vdiwaylandsrc ! fakesink (default keepalive 1 s)
#   active: the 1080p60 workload of docs/benchmarks.md (videotestsrc !
#           waylandsink), run only in the compositor being measured;
#           vdiwaylandsrc ! fakesink
#
# For each compositor: frames per second the source pushed, CPU (one core =
# 100 %) of the capturing process and of the compositor (all its threads),
# and the cost per captured frame ((capture + compositor CPU) / new frames).
# For Mutter it also splits the compositor's CPU by thread name: Mutter
# renders with Mesa's llvmpipe (software GL) when there is no GPU, and the
# llvmpipe-N threads show how much of its time is rasterising.
#
#   meson devenv -C build python3 tests/bench/compositor-bench.py [--rounds 3] [--seconds 8]

import collections
import importlib.util
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchlib  # noqa: E402

_spec = importlib.util.spec_from_file_location("capture_bench", os.path.join(HERE, "capture-bench.py"))
cb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cb)

BUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:path={dir}/bus</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow send_destination="*" eavesdrop="true"/>
<allow eavesdrop="true"/><allow own="*"/></policy></busconfig>
"""


class Mutter:
    """Headless Mutter with its own bus, PipeWire and WirePlumber, as the
    test user (the same set-up as tests/fixtures/mutter-compositor.cpp)."""

    def __init__(self, width, height):
        self.dir = tempfile.mkdtemp(prefix="vdi-bench-mutter-")
        if os.geteuid() == 0:
            pw = pwd.getpwnam(cb.TEST_USER)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o700)
        self.conf = self.dir + ".bus.conf"
        with open(self.conf, "w") as f:
            f.write(BUS_CONF.format(dir=self.dir))
        os.chmod(self.conf, 0o644)
        self.log = open(self.dir + ".log", "w")
        self.bus = f"unix:path={self.dir}/bus"
        env = [f"DBUS_SESSION_BUS_ADDRESS={self.bus}", f"HOME={self.dir}"]
        self.procs = []

        def run(argv):
            p = subprocess.Popen(cb.as_user(self.dir, env, argv), stdout=self.log,
                                 stderr=self.log, start_new_session=True)
            self.procs.append(p)
            return p

        run(["dbus-daemon", f"--config-file={self.conf}", "--nofork"])
        self._wait(lambda: os.path.exists(f"{self.dir}/bus"), "dbus-daemon")
        run(["pipewire"])
        self._wait(lambda: os.path.exists(f"{self.dir}/pipewire-0"), "pipewire")
        run(["wireplumber"])
        self._wait(self._wireplumber_ready, "wireplumber")
        run(["mutter", "--headless", "--virtual-monitor", f"{width}x{height}", "--wayland",
             "--no-x11"])
        self.socket = os.path.join(self.dir, "wayland-0")
        self._wait(lambda: os.path.exists(self.socket) and self._has_screencast(), "mutter")
        out = subprocess.run(["pgrep", "-f", "mutter --headless --virtual-monitor"],
                             capture_output=True, text=True)
        pids = [int(p) for p in out.stdout.split()
                if os.path.exists(f"/proc/{p}/environ") and self._ours(int(p))]
        self.pid = max(pids)

    def _ours(self, pid):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                return f"XDG_RUNTIME_DIR={self.dir}".encode() in f.read()
        except OSError:
            return False

    def _wireplumber_ready(self):
        out = subprocess.run(cb.as_user(self.dir, [], ["pw-cli", "ls", "Metadata"]),
                             capture_output=True, text=True)
        return '"default"' in out.stdout

    def _has_screencast(self):
        out = subprocess.run(["gdbus", "call", "--address", self.bus, "-d", "org.freedesktop.DBus",
                              "-o", "/org/freedesktop/DBus", "-m",
                              "org.freedesktop.DBus.NameHasOwner", "org.gnome.Mutter.ScreenCast"],
                             capture_output=True, text=True)
        return "true" in out.stdout

    @staticmethod
    def _wait(cond, what):
        for _ in range(300):
            if cond():
                return
            time.sleep(0.1)
        raise RuntimeError(f"{what} did not start")

    def spawn(self, argv):
        return subprocess.Popen(cb.as_user(self.dir, ["WAYLAND_DISPLAY=wayland-0",
                                                      f"DBUS_SESSION_BUS_ADDRESS={self.bus}"], argv),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)

    def close(self):
        for p in reversed(self.procs):
            cb.kill_group(p)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.log.close()
        for f in (self.dir + ".log", self.conf):
            if os.path.exists(f):
                os.unlink(f)


def thread_ticks(pid):
    """CPU ticks per thread name (digits folded: llvmpipe-3 -> llvmpipe-N)."""
    out = collections.Counter()
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                head, rest = f.read().rsplit(")", 1)
            name = head.split("(", 1)[1]
            name = "".join("N" if c.isdigit() else c for c in name)
            fields = rest.split()
            out[name] += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            pass
    return out


def measure(comp, bench, desc, warmup, seconds):
    t0 = thread_ticks(comp.pid)
    r = cb.run_gst(comp, bench, desc, warmup, seconds)
    t1 = thread_ticks(comp.pid)
    # run_gst measures the compositor from after the warm-up; the thread
    # split covers warm-up + run, as shares only.
    total = sum((t1 - t0).values()) or 1
    r["threads"] = {k: v / total for k, v in (t1 - t0).most_common(6)}
    return r


def main():
    args = benchlib.rounds_parser().parse_args()
    bench = cb.find_bench_pipeline()

    comps = {"sway": cb.Sway(1920, 1080), "mutter": Mutter(1920, 1080)}
    descs = {
        "sway": f'vdiwaylandsrc backend=wlr-screencopy display="{comps["sway"].socket}" '
                "show-cursor=false ! fakesink name=sink sync=false",
        "mutter": f'vdiwaylandsrc backend=mutter display="{comps["mutter"].socket}" '
                  f'bus-address="{comps["mutter"].bus}" show-cursor=false ! fakesink name=sink '
                  "sync=false",
    }
    results = {"idle": {k: [] for k in comps}, "active": {k: [] for k in comps}}
    try:
        for phase in ("idle", "active"):
            for rnd in range(args.rounds):
                for name, comp in comps.items():
                    # Only the measured compositor runs the workload: the
                    # two would fight over the cores otherwise.
                    load = None
                    if phase == "active":
                        load = comp.spawn(["gst-launch-1.0", "-q", *cb.WORKLOAD.split()])
                        time.sleep(3)
                    results[phase][name].append(measure(comp, bench, descs[name], args.warmup,
                                                        args.seconds))
                    if load:
                        cb.kill_group(load)
                print(f"{phase}: round {rnd + 1}/{args.rounds} done", file=sys.stderr)
    finally:
        for c in comps.values():
            c.close()

    med = benchlib.median
    print(f"\n### sway vs Mutter at 1920x1080 ({args.rounds} rounds x {args.seconds:g} s, medians)\n")
    print("| phase | compositor | fps pushed | capture CPU | compositor CPU | sum | "
          "cost per frame (ms CPU) |")
    print("|---|---|---|---|---|---|---|")
    for phase, per in results.items():
        for name, rs in per.items():
            fps, cpu, comp = med(rs, "fps"), med(rs, "cpu"), med(rs, "compositor_cpu")
            per_frame = (cpu + comp) / fps * 1000 if fps > 0 else float("nan")
            print(f"| {phase} | {name} | {fps:.1f} | {100 * cpu:.2f}% | {100 * comp:.2f}% | "
                  f"{100 * (cpu + comp):.2f}% | {per_frame:.2f} |")
    print("\nMutter threads (share of its CPU, active, last round):",
          json.dumps(results["active"]["mutter"][-1]["threads"]))
    print("\nraw:", json.dumps(results))


if __name__ == "__main__":
    main()
