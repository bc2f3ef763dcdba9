#!/usr/bin/python3
# gst-vdi compositor benchmark (issue 13): sway vs bare headless Mutter vs a
# headless GNOME Shell session, side by side in one run, 1920x1080,
# interleaved rounds.
#
#   idle:   a still screen; vdiwaylandsrc ! fakesink (default keepalive 1 s)
#   active: the 1080p60 workload of docs/benchmarks.md (videotestsrc !
#           waylandsink), run only in the compositor being measured;
#           vdiwaylandsrc ! fakesink
#
# For each compositor: frames per second the source pushed, CPU (one core =
# 100 %) of the capturing process and of the compositor (all its threads),
# and the cost per captured frame ((capture + compositor CPU) / new frames).
# For Mutter and GNOME Shell it also splits the compositor's CPU by thread
# name: both render with Mesa's llvmpipe (software GL) when there is no GPU,
# and the llvmpipe-N threads show how much of their time is rasterising; and
# it adds the CPU of the session's other processes (PipeWire, WirePlumber,
# the buses, whatever GNOME Shell starts), which the compositor column leaves
# out.
#
# The GNOME Shell session is started the way vdid starts compositor=gnome
# (orchestrator/compositor.cpp, session-services.cpp): a session bus with
# the standard session service dirs (D-Bus activation on, as vdid's
# dbus-daemon --session; open to root, who runs the capture), a private
# system bus of its own (GNOME Shell aborts without one), PipeWire and
# WirePlumber, then gnome-shell --headless --virtual-monitor.
#
#   meson devenv -C build python3 tests/bench/compositor-bench.py [--rounds 3] [--seconds 8]
#       [--compositors sway,mutter,gnome]

import collections
import importlib.util
import json
import os
import pwd
import shutil
import signal
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
<busconfig><type>session</type><listen>unix:path={dir}/bus</listen><auth>EXTERNAL</auth>{services}
<policy context="default"><allow user="*"/><allow send_destination="*" eavesdrop="true"/>
<allow eavesdrop="true"/><allow own="*"/></policy></busconfig>
"""

# vdid's private system bus (session-services.cpp systemBusConfig): anyone
# may own and call anything, no service dirs, so nothing is activated.
SYSTEM_BUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path={dir}/system_bus</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/>
<allow eavesdrop="true"/><allow own="*"/></policy></busconfig>
"""


class Mutter:
    """Headless Mutter with its own bus, PipeWire and WirePlumber, as the
    test user (the same set-up as tests/fixtures/mutter-compositor.cpp).
    With shell=True a headless GNOME Shell session as vdid starts one for
    compositor=gnome: activating session bus, private system bus, GNOME's
    session variables."""

    def __init__(self, width, height, shell=False):
        self.program = "gnome-shell" if shell else "mutter"
        self.dir = tempfile.mkdtemp(prefix=f"vdi-bench-{self.program}-")
        if os.geteuid() == 0:
            pw = pwd.getpwnam(cb.TEST_USER)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o700)
        self.conf = self.dir + ".bus.conf"
        with open(self.conf, "w") as f:
            # GNOME Shell's bus activates services as vdid's does.
            f.write(BUS_CONF.format(dir=self.dir,
                                    services="<standard_session_servicedirs/>" if shell else ""))
        os.chmod(self.conf, 0o644)
        self.system_conf = self.dir + ".system-bus.conf"
        self.log = open(self.dir + ".log", "w")
        self.bus = f"unix:path={self.dir}/bus"
        env = [f"DBUS_SESSION_BUS_ADDRESS={self.bus}", f"HOME={self.dir}"]
        if shell:
            with open(self.system_conf, "w") as f:
                f.write(SYSTEM_BUS_CONF.format(dir=self.dir))
            os.chmod(self.system_conf, 0o644)
            env += [f"DBUS_SYSTEM_BUS_ADDRESS=unix:path={self.dir}/system_bus",
                    "XDG_SESSION_TYPE=wayland", "XDG_CURRENT_DESKTOP=GNOME"]
        # The clients keep the test user's HOME (its GStreamer registry).
        self.client_env = [e for e in env if not e.startswith("HOME=")]
        self.procs = []

        def run(argv):
            p = subprocess.Popen(cb.as_user(self.dir, env, argv), stdout=self.log,
                                 stderr=self.log, start_new_session=True)
            self.procs.append(p)
            return p

        self.pid = None
        try:
            run(["dbus-daemon", f"--config-file={self.conf}", "--nofork"])
            if shell:
                run(["dbus-daemon", f"--config-file={self.system_conf}", "--nofork", "--nopidfile"])
                self._wait(lambda: os.path.exists(f"{self.dir}/system_bus"), "system dbus-daemon")
            self._wait(lambda: os.path.exists(f"{self.dir}/bus"), "dbus-daemon")
            run(["pipewire"])
            self._wait(lambda: os.path.exists(f"{self.dir}/pipewire-0"), "pipewire")
            run(["wireplumber"])
            self._wait(self._wireplumber_ready, "wireplumber")
            run([self.program, "--headless", "--virtual-monitor",
                 f"{width}x{height}", "--wayland", "--no-x11"])
            self.socket = os.path.join(self.dir, "wayland-0")
            self._wait(lambda: os.path.exists(self.socket) and self._has_screencast(), self.program,
                       60 if shell else 30)
            out = subprocess.run(["pgrep", "-f", f"{self.program} --headless --virtual-monitor"],
                                 capture_output=True, text=True)
            pids = [int(p) for p in out.stdout.split()
                    if os.path.exists(f"/proc/{p}/environ") and self._ours(int(p))]
            self.pid = max(pids)
            if shell:
                # GNOME Shell opens the overview at start and animates it: the
                # idle phase must see a still screen. Leave the overview, as a
                # user would, and wait until it is gone.
                self._wait(self._overview_closed, "gnome-shell leaving the overview", 30)
        except BaseException:
            self.close()
            raise

    def _shell_call(self, *args):
        return subprocess.run(["gdbus", "call", "--address", self.bus, "-d", "org.gnome.Shell",
                               "-o", "/org/gnome/Shell", "-m", *args],
                              capture_output=True, text=True).stdout

    def _overview_closed(self):
        self._shell_call("org.freedesktop.DBus.Properties.Set", "org.gnome.Shell",
                         "OverviewActive", "<false>")
        return "<false>" in self._shell_call("org.freedesktop.DBus.Properties.Get",
                                             "org.gnome.Shell", "OverviewActive")

    def session_pids(self, exclude_group=None):
        """The session's processes (its runtime dir) but the compositor and
        the process group @exclude_group (the workload)."""
        out = []
        for p in os.listdir("/proc"):
            if not p.isdigit() or int(p) == self.pid or not self._ours(int(p)):
                continue
            try:
                if exclude_group is not None and os.getpgid(int(p)) == exclude_group:
                    continue
            except OSError:
                continue
            out.append(int(p))
        return out

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

    def _wait(self, cond, what, seconds=30):
        for _ in range(int(seconds * 10)):
            if cond():
                return
            if self.procs[-1].poll() is not None:
                break
            time.sleep(0.1)
        self.log.flush()
        with open(self.dir + ".log") as f:
            tail = f.read()[-2000:]
        raise RuntimeError(f"{what} did not start:\n{tail}")

    def spawn(self, argv):
        env = ["WAYLAND_DISPLAY=wayland-0", *self.client_env]
        return subprocess.Popen(cb.as_user(self.dir, env, argv),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)

    def close(self):
        for p in reversed(self.procs):
            cb.kill_group(p)
        # What the buses activated (at-spi, dconf, ...) runs outside those
        # process groups.
        for pid in self.session_pids():
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)
        self.log.close()
        for f in (self.dir + ".log", self.conf, self.system_conf):
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


def session_ticks(comp, exclude_group):
    """CPU ticks per pid of the session's other processes."""
    out = {}
    for pid in comp.session_pids(exclude_group):
        try:
            out[pid] = benchlib.cpu_ticks(pid)
        except (OSError, IndexError, ValueError):
            pass
    return out


def measure(comp, bench, desc, warmup, seconds, load=None):
    split = hasattr(comp, "session_pids")
    group = load.pid if load else None
    if split:
        t0, o0, w0 = thread_ticks(comp.pid), session_ticks(comp, group), time.monotonic()
    r = cb.run_gst(comp, bench, desc, warmup, seconds)
    if split:
        t1, o1, w1 = thread_ticks(comp.pid), session_ticks(comp, group), time.monotonic()
        # run_gst measures the compositor from after the warm-up; the
        # thread split and the other processes cover warm-up + run.
        total = sum((t1 - t0).values()) or 1
        r["threads"] = {k: v / total for k, v in (t1 - t0).most_common(6)}
        r["others_cpu"] = sum(o1[p] - o0[p] for p in o1 if p in o0) / cb.TICK / (w1 - w0)
    return r


def descriptions(comps):
    out = {}
    for name, comp in comps.items():
        if name == "sway":
            src = f'vdiwaylandsrc backend=wlr-screencopy display="{comp.socket}"'
        else:
            src = f'vdiwaylandsrc backend=mutter display="{comp.socket}" bus-address="{comp.bus}"'
        out[name] = src + " show-cursor=false ! fakesink name=sink sync=false"
    return out


STARTERS = {
    "sway": lambda: cb.Sway(1920, 1080),
    "mutter": lambda: Mutter(1920, 1080),
    "gnome": lambda: Mutter(1920, 1080, shell=True),
}


def main():
    ap = benchlib.rounds_parser()
    ap.add_argument("--compositors", default="sway,mutter,gnome",
                    help="comma-separated subset of " + ",".join(STARTERS))
    args = ap.parse_args()
    names = [n for n in args.compositors.split(",") if n]
    unknown = [n for n in names if n not in STARTERS]
    if unknown or not names:
        ap.error(f"unknown compositor {','.join(unknown)}: choose from {','.join(STARTERS)}")
    bench = cb.find_bench_pipeline()

    comps = {}
    try:
        for name in names:
            comps[name] = STARTERS[name]()
    except BaseException:
        for c in comps.values():
            c.close()
        raise
    descs = descriptions(comps)
    results = {"idle": {k: [] for k in comps}, "active": {k: [] for k in comps}}
    try:
        for phase in ("idle", "active"):
            for rnd in range(args.rounds):
                for name, comp in comps.items():
                    # Only the measured compositor runs the workload: they
                    # would fight over the cores otherwise.
                    load = None
                    if phase == "active":
                        load = comp.spawn(["gst-launch-1.0", "-q", *cb.WORKLOAD.split()])
                        time.sleep(3)
                    results[phase][name].append(measure(comp, bench, descs[name], args.warmup,
                                                        args.seconds, load))
                    if load:
                        cb.kill_group(load)
                print(f"{phase}: round {rnd + 1}/{args.rounds} done", file=sys.stderr)
    finally:
        for c in comps.values():
            c.close()

    med = benchlib.median
    print(f"\n### {' vs '.join(comps)} at 1920x1080 ({args.rounds} rounds x "
          f"{args.seconds:g} s, medians, load {os.getloadavg()[0]:.2f})\n")
    print("| phase | compositor | fps pushed | capture CPU | compositor CPU | sum | "
          "cost per frame (ms CPU) | other session processes |")
    print("|---|---|---|---|---|---|---|---|")
    for phase, per in results.items():
        for name, rs in per.items():
            fps, cpu, comp = med(rs, "fps"), med(rs, "cpu"), med(rs, "compositor_cpu")
            per_frame = (cpu + comp) / fps * 1000 if fps > 0 else float("nan")
            others = f"{100 * med(rs, 'others_cpu'):.2f}%" if "others_cpu" in rs[0] else "—"
            print(f"| {phase} | {name} | {fps:.1f} | {100 * cpu:.2f}% | {100 * comp:.2f}% | "
                  f"{100 * (cpu + comp):.2f}% | {per_frame:.2f} | {others} |")
    for name in comps:
        if "threads" in results["active"][name][-1]:
            print(f"\n{name} threads (share of its CPU, active, last round):",
                  json.dumps(results["active"][name][-1]["threads"]))
    print("\nraw:", json.dumps(results))


if __name__ == "__main__":
    main()
