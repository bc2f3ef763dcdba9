#!/usr/bin/python3
# gst-vdi sound benchmark (issue 12, docs/benchmarks.md "Sound").
#
# Runs a real vdid (as root, sessions as the test user, the session's own
# PipeWire) on a free loopback port and measures:
#   1. audio latency: an app in the session (tests/bench/beeper.py) writes a
#      beep into PulseAudio every second and logs the wall-clock time of its
#      first non-silent sample; Chromium (tests/bench/audio-latency.mjs) plays
#      the session in the web client over WebRTC on loopback and stamps each
#      onset an AudioWorklet sees on the received track. Median and p95.
#   2. CPU of sound for one session, no viewer, over --window seconds, from
#      /proc: the sound server (pipewire, wireplumber, pipewire-pulse) and the
#      worker's sound threads (capture, Opus, AAC, PulseAudio mainloop),
#      silent and with an app playing a tone (the app's own CPU excluded),
#      and, side by side, the whole session (everything vdid started) with
#      audio=true against audio=false; with the context switches per second
#      (wake-ups) of each sound program and of the worker's sound threads.
#
#   3. audio latency to an SRT reader (--cases srt): ffmpeg reads the
#      session over SRT and decodes its AAC to a pipe; tests/bench/onset-
#      recorder.py stamps each onset as it arrives.
#   In the latency runs a PulseAudio client in the session (onset-recorder.py
#   on vdi-speaker.monitor, 10 ms) stamps each onset too: the part of the
#   latency before the worker (app, sound server, capture).
#
#   ./scripts/build && python3 tests/bench/sound-bench.py [--seconds 30] [--window 20]
#       [--cases latency,srt,cpu] [--workers main=/tmp/worker-main,new=build/orchestrator/vdid-worker,
#        q512=/tmp/build-q512/  (a directory: its vdid, vdid-worker, vdid-srt)]
#       [--rounds 3]   (each worker in turn, each round; medians per worker)

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

HERE, SRC, BUILD, USER = benchlib.HERE, benchlib.SRC, benchlib.BUILD, benchlib.TEST_USER
HZ = benchlib.TICK
request, ticks = benchlib.request, benchlib.cpu_ticks
SOUND_PROGRAMS = ("pipewire", "wireplumber", "pipewire-pulse")
# Thread names (15 chars) of the worker's sound: element streaming threads
# (audio-*, aac-*) and pulsesrc's PulseAudio mainloop (threaded-ml).
SOUND_THREADS = re.compile(r"^(audio-|aac-|threaded-ml)")
# The worker's process name: vdid-worker, or what --workers runs (a copy's
# file name, cut to 15 characters as /proc/PID/comm has it).
WORKER_COMMS = {"vdid-worker"}


def comm(path):
    with open(path) as f:
        return f.read().strip()


def session_pids(dir_):
    out = []
    needle = f"XDG_RUNTIME_DIR={dir_}".encode()
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/environ", "rb") as f:
                if needle in f.read().split(b"\0"):
                    out.append(int(p))
        except OSError:
            pass
    return out


def switches(task):
    """Context switches (voluntary + not) of one thread: its wake-ups."""
    n = 0
    with open(f"{task}/status") as f:
        for line in f:
            if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                n += int(line.split()[1])
    return n


def process_switches(pid):
    n = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            n += switches(f"/proc/{pid}/task/{tid}")
        except OSError:
            pass
    return n


def sample(dir_, app_comm):
    """CPU ticks by part of the session: sound server, worker sound threads,
    the app, everything; and the context switches (wake-ups) of the sound
    server's programs (each by name) and of the worker's sound threads."""
    parts = {"server": 0, "threads": 0, "app": 0, "all": 0}
    wakeups = {p: 0 for p in SOUND_PROGRAMS + ("worker-sound",)}
    for pid in session_pids(dir_):
        try:
            name = comm(f"/proc/{pid}/comm")
            t = ticks(f"/proc/{pid}/stat")
        except OSError:
            continue
        parts["all"] += t
        if name in SOUND_PROGRAMS:
            parts["server"] += t
            parts[name] = parts.get(name, 0) + t
            wakeups[name] += process_switches(pid)
        if app_comm and name == app_comm:
            parts["app"] += t
        if name in WORKER_COMMS:
            for tid in os.listdir(f"/proc/{pid}/task"):
                task = f"/proc/{pid}/task/{tid}"
                try:
                    if SOUND_THREADS.match(comm(f"{task}/comm")):
                        parts["threads"] += ticks(f"{task}/stat")
                        wakeups["worker-sound"] += switches(task)
                except OSError:
                    pass
    return parts, wakeups


def delays(sent, arrived, window=0.95):
    """ms from each beep written to the first arrival after it (within
    @window s; a beep a second), sorted."""
    out = []
    for t in sent:
        after = [a - t for a in arrived if 0 <= a - t < window]
        if after:
            out.append(1000 * min(after))
    return sorted(out)


def summary(lat, prefix, out):
    out[f"{prefix}_heard"] = len(lat)
    if lat:
        out[f"{prefix}_ms_median"] = round(statistics.median(lat), 1)
        out[f"{prefix}_ms_p95"] = round(lat[min(len(lat) - 1, int(0.95 * len(lat)))], 1)
        out[f"{prefix}_ms_min"] = round(lat[0], 1)


def read_times(path):
    try:
        with open(path) as f:
            return [float(l) for l in f if l.strip()]
    except OSError:
        return []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30, help="latency runs (one beep a second)")
    ap.add_argument("--window", type=float, default=20, help="CPU window per case")
    ap.add_argument("--cases", default="latency,cpu",
                    help="any of latency (WebRTC to Chromium), srt (to an ffmpeg SRT reader), cpu")
    ap.add_argument("--workers", default="",
                    help="LABEL=PATH,... vdid-worker binaries to compare (VDID_WORKER), or "
                         "directories holding vdid, vdid-worker and vdid-srt (a build's "
                         "orchestrator/: its vdid runs, e.g. other sound server settings), "
                         "each run in turn, --rounds times; default: the build's")
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    cases = args.cases.split(",")
    if os.geteuid() != 0:
        sys.exit("run as root: sessions run as the test user")
    tmp = tempfile.mkdtemp(prefix="sound-bench-")
    os.chmod(tmp, 0o755)
    scripts = {}
    for name in ("beeper.py", "onset-recorder.py"):
        scripts[name] = os.path.join(tmp, name)
        with open(os.path.join(HERE, name)) as f, open(scripts[name], "w") as out:
            out.write(f.read())
        os.chmod(scripts[name], 0o755)
    beeper, recorder = scripts["beeper.py"], scripts["onset-recorder.py"]
    hashed = benchlib.hash_password("pw")
    auth = f"{USER}:pw"
    workers = [w.split("=", 1) for w in args.workers.split(",") if w] or [["build", ""]]
    WORKER_COMMS.update(os.path.basename(path)[:15] for _, path in workers
                        if path and not os.path.isdir(path))

    def start_vdid(audio, worker=""):
        conf = os.path.join(tmp, f"vdid-{audio}.conf")
        with open(conf, "w") as f:
            f.write(f"[server]\nsrt-listen=127.0.0.1:0\n[users]\n{USER}={hashed}\n"
                    f"[sessions]\nwidth=1280\nheight=720\nfps=30\nidle-timeout=0\n"
                    f"audio={'true' if audio else 'false'}\nruntime-dir={tmp}/run-{audio}\n")
        extra = {"VDID_WEB_ROOT": f"{BUILD}/web/app"}
        vdid = None
        if worker and os.path.isdir(worker):
            vdid = os.path.join(worker, "vdid")  # a whole build: its vdid and worker
        elif worker:
            extra["VDID_WORKER"] = worker
        proc, base = benchlib.start_vdid(conf, benchlib.vdid_env(**extra), vdid=vdid)
        return proc, base, f"{tmp}/run-{audio}"

    def create(base, apps):
        body = json.dumps({"apps": apps}) if apps else "{}"
        reply = json.loads(request("POST", f"{base}/api/v1/sessions", auth, body)[1])
        benchlib.wait_started(base, reply["id"], auth)
        return reply["id"]

    def cpu(dir_, app_comm=None):
        """% of a core by part over the window, and wake-ups per second."""
        time.sleep(3)  # settle
        a, wa = sample(dir_, app_comm)
        time.sleep(args.window)
        b, wb = sample(dir_, app_comm)
        res = {k: 100.0 * (b.get(k, 0) - a[k]) / HZ / args.window for k in a}
        # (a thread that exits during the window takes its count with it)
        res["wakeups_per_s"] = {k: max(0, round((wb[k] - wa[k]) / args.window)) for k in wa}
        with open("/proc/loadavg") as f:
            res["loadavg"] = f.read().split()[0]
        res = {p: round(v, 3) if isinstance(v, float) else v for p, v in res.items()}
        res["sound"] = round(res["server"] + res["threads"], 3)
        return res

    # The session's apps for a latency run: the beeper, and a PulseAudio
    # client recording the speaker's monitor (the capture part).
    def beep_apps():
        n = int(args.seconds) + 5
        return [["/bin/sh", "-c", f'exec /usr/bin/python3 {beeper} "$XDG_RUNTIME_DIR/beeps.log" --count {n}'],
                ["/bin/sh", "-c", f'exec /usr/bin/python3 {recorder} "$XDG_RUNTIME_DIR/captured.log"']]

    def run_cases(worker):
        out = {}
        vdid, base, run = start_vdid(True, worker)
        try:
            if "latency" in cases:
                sid = create(base, beep_apps())
                res = subprocess.run(["node", f"{HERE}/audio-latency.mjs", base, USER, "pw", sid,
                                      str(args.seconds)], capture_output=True, text=True,
                                     timeout=args.seconds + 120, cwd=f"{SRC}/web")
                lines = [l for l in res.stdout.splitlines() if l.startswith("result ")]
                if not lines:
                    sys.exit(f"Chromium: {res.stdout[-800:]} {res.stderr[-800:]}")
                page = json.loads(lines[-1][7:])
                sent = read_times(f"{run}/{sid}/beeps.log")
                out["latency_beeps_sent"] = len(sent)
                out["latency_onsets_seen"] = len(page["onsets"])
                summary(delays(sent, page["onsets"], 0.5), "latency", out)
                summary(delays(sent, read_times(f"{run}/{sid}/captured.log"), 0.5), "capture", out)
                out["latency_receiver_stats"] = page.get("stats")
                out["latency_msid"] = page.get("msid")
                request("DELETE", f"{base}/api/v1/sessions/{sid}", auth)
                print(f"latency: {out}", file=sys.stderr)

            if "srt" in cases:
                sid = create(base, beep_apps())
                s = json.loads(request("GET", f"{base}/api/v1/sessions/{sid}", auth)[1])
                url = s["urls"]["srt"] + f":{USER}:pw&timeout=20000000"
                arrived = os.path.join(tmp, f"srt-{sid}.log")
                ff = subprocess.Popen(["ffmpeg", "-v", "error", "-nostdin", "-fflags", "nobuffer",
                                       "-flags", "low_delay", "-i", url, "-t", str(args.seconds + 3),
                                       "-map", "0:a:0", "-ac", "1", "-ar", "48000", "-f", "s16le",
                                       "-flush_packets", "1", "pipe:1"], stdout=subprocess.PIPE)
                rec = subprocess.Popen(["python3", recorder, arrived, "--stdin"], stdin=ff.stdout)
                ff.stdout.close()
                ff.wait(args.seconds + 60)
                rec.wait(10)
                sent = read_times(f"{run}/{sid}/beeps.log")
                summary(delays(sent, read_times(arrived)), "srt", out)
                summary(delays(sent, read_times(f"{run}/{sid}/captured.log"), 0.5), "srt_capture", out)
                request("DELETE", f"{base}/api/v1/sessions/{sid}", auth)
                print(f"srt: {out}", file=sys.stderr)

            if "cpu" in cases:
                sid = create(base, [])
                out["cpu_silent"] = cpu(f"{run}/{sid}")
                request("DELETE", f"{base}/api/v1/sessions/{sid}", auth)
                tone = ["gst-launch-1.0", "-q", "audiotestsrc", "freq=440", "is-live=true",
                        "volume=0.3", "!", "pulsesink"]
                sid = create(base, [tone])
                out["cpu_playing"] = cpu(f"{run}/{sid}", "gst-launch-1.0")
                request("DELETE", f"{base}/api/v1/sessions/{sid}", auth)
                print(f"cpu: {out['cpu_playing']}", file=sys.stderr)
        finally:
            vdid.terminate()
            vdid.wait(20)
        return out

    runs = {label: [] for label, _ in workers}
    for _ in range(args.rounds):
        for label, path in workers:
            runs[label].append(run_cases(path))
    result = {"runs": runs, "median": {}}
    # The figures to compare, median over the rounds.
    figures = {
        "latency_ms_median": lambda r: r.get("latency_ms_median"),
        "capture_ms_median": lambda r: r.get("capture_ms_median"),
        "srt_ms_median": lambda r: r.get("srt_ms_median"),
        "sound_playing": lambda r: r.get("cpu_playing", {}).get("sound"),
        "sound_silent": lambda r: r.get("cpu_silent", {}).get("sound"),
        "threads_playing": lambda r: r.get("cpu_playing", {}).get("threads"),
        "server_playing": lambda r: r.get("cpu_playing", {}).get("server"),
        "session_playing": lambda r: r.get("cpu_playing", {}).get("all"),
    }
    for label in runs:
        med = {}
        for name, get in figures.items():
            vals = [v for v in map(get, runs[label]) if v is not None]
            if vals:
                med[name] = round(statistics.median(vals), 2)
                med[name + "_all"] = vals
        result["median"][label] = med
    if "cpu" in cases:
        vdid, base, run = start_vdid(False)
        try:
            sid = create(base, [])
            result["cpu_no_audio"] = cpu(f"{run}/{sid}")
        finally:
            vdid.terminate()
            vdid.wait(20)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
