#!/usr/bin/python3
# gst-vdi A/V sync benchmark (issue 12, docs/benchmarks.md "Sound").
#
# Runs a real vdid (as root, sessions as the test user) and, in a session,
# an app that flashes the screen white as each beep comes out of the
# session's speaker: tests/bench/beeper.py --flash, which paces a PulseAudio
# stream (pacat, 10 ms) by the clock with a beep every PERIOD seconds, and
# tells a fullscreen tests/clients/vdi-test-client to paint white when a
# recorder of vdi-speaker.monitor sees the beep (black when it ends; it
# logs when the white frame is committed). Then, in turn, for --seconds
# each (--readers):
# - srt: ffmpeg reads the session over SRT and finds, in the stream's own
#   timestamps, each black->white edge of the picture (mean luma per frame,
#   `signalstats`) and each beep onset of the sound (RMS per 5 ms block,
#   `astats`, -30 dBFS);
# - webrtc: Chromium plays the session in the web client over WebRTC
#   (tests/bench/av-sync-webrtc.mjs): each frame when it is shown
#   (requestVideoFrameCallback) and each beep when it is output (an
#   AudioWorklet on the received track), on the page's clock.
# The offset of a beep is (beep onset - the nearest white edge): positive
# when the sound comes late. Median, p90 of |offset|, how many within 40 ms,
# and the spread of the beeps' intervals (PERIOD in the app), which says
# how steady the audio timestamps are. The client's own error: the white
# frame is committed client_commit_after_speaker_ms after the recorder saw
# the beep (both logged), plus one compositor frame; app_write_to_speaker_ms
# is the app's own sound latency (pacat and the sound server), which the
# flash leaves out (an app in step with its sound output).
#
# (Until round 2 session 8 the app was `videotestsrc pattern=blink !
# waylandsink` + `audiotestsrc wave=ticks ! pulsesink`; its picture showed
# one of its half-period frames late. In session 8 the flash went at the
# beep's slot in the paced stream (--flash-on slot), 64 ms before the
# speaker played it.)
#
#   ./scripts/build && python3 tests/bench/av-sync-bench.py [--seconds 30] [--period 2]
#       [--readers srt,webrtc] [--worker /path/to/vdid-worker] [--flash-on monitor|slot] [--log FILE]

import argparse
import importlib.util
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

_spec = importlib.util.spec_from_file_location("sound_bench", os.path.join(HERE, "sound-bench.py"))
sound_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sound_bench)
request, read_times = sound_bench.request, sound_bench.read_times

# One flash and beep every PERIOD seconds (offsets are unambiguous within
# +-PERIOD/2).
PERIOD = 2


def app(beeper, period, count, flash_on="monitor"):
    return (f'exec /usr/bin/python3 {beeper} "$XDG_RUNTIME_DIR/beeps.log" --period {period} '
            f'--count {count} --flash {BUILD}/tests/vdi-test-client --flash-on {flash_on}')


def pair_after(earlier, later, window=0.5):
    """ms from each time of @earlier to the first of @later after it (within
    @window s)."""
    out = []
    for t in earlier:
        after = [x - t for x in later if 0 <= x - t < window]
        if after:
            out.append(1000 * min(after))
    return out


def parse_metadata(text, key):
    """(pts_time, value) pairs from ffmpeg's metadata=print output."""
    out, t = [], None
    for line in text.splitlines():
        m = re.search(r"pts_time:([-\d.]+)", line)
        if m:
            t = float(m.group(1))
            continue
        m = re.search(re.escape(key) + r"=(\S+)", line)
        if m and t is not None:
            try:
                value = float(m.group(1))
            except ValueError:  # "-inf", "-", "nan": silence
                value = float("-inf")
            out.append((t, value))
            t = None
    return out


def edges(series, rising_above, refractory=0.3):
    """Times where the value crosses @rising_above upwards (first sample
    above), at most one per @refractory seconds (a beep's RMS dips)."""
    out, prev = [], None
    for t, v in series:
        if prev is not None and prev <= rising_above < v and (not out or t - out[-1] > refractory):
            out.append(t)
        prev = v
    return out


def app_log(tmp, sid):
    try:
        with open(f"{tmp}/run/{sid}/app.log") as f:
            return f.read()
    except OSError:
        return ""


def read_srt(url, seconds):
    """(luma per frame, RMS per 5 ms) in the stream's own timestamps: one
    ffmpeg read, both streams of the same TS."""
    cmd = ["ffmpeg", "-v", "error", "-nostdin", "-i", url, "-t", str(seconds),
           "-filter_complex",
           "[0:v:0]signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=/dev/stderr[v];"
           "[0:a:0]aformat=channel_layouts=mono,asetnsamples=n=240:p=0,"
           "astats=metadata=1:reset=1,"
           "ametadata=print:key=lavfi.astats.Overall.RMS_level:file=/dev/stderr[a]",
           "-map", "[v]", "-map", "[a]", "-f", "null", "-"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    return (parse_metadata(res.stderr, "lavfi.signalstats.YAVG"),
            parse_metadata(res.stderr, "lavfi.astats.Overall.RMS_level"))


def read_webrtc(base, sid, seconds):
    """Chromium plays the session (the web client): frames as shown and
    beeps as output, on the page's clock (tests/bench/av-sync-webrtc.mjs)."""
    res = subprocess.run(["node", f"{HERE}/av-sync-webrtc.mjs", base, USER, "pw", sid,
                          str(seconds)], capture_output=True, text=True,
                         timeout=seconds + 120, cwd=f"{SRC}/web")
    lines = [l for l in res.stdout.splitlines() if l.startswith("result ")]
    if not lines:
        sys.exit(f"Chromium: {res.stdout[-800:]} {res.stderr[-800:]}")
    return json.loads(lines[-1][7:])


def analyse(white, ticks, period):
    """Each beep onset against the nearest white edge (s): the offsets
    (ms, +: sound late), their drift, the beeps' regularity."""
    out = {}
    offsets = [1000 * min((ta - tv for tv in white), key=abs) for ta in ticks] if white else []
    # Unwrapped (one flash a period), the offsets show a drift: its slope
    # (ms per second of stream) and the offset at the first beep.
    unwrapped = offsets[:1]
    for o in offsets[1:]:
        o += 1000 * period * round((unwrapped[-1] - o) / (1000 * period))
        unwrapped.append(o)
    if len(unwrapped) > 2:
        n = len(unwrapped)
        mt = sum(ticks[:n]) / n
        mo = sum(unwrapped) / n
        slope = sum((t - mt) * (o - mo) for t, o in zip(ticks, unwrapped)) / sum(
            (t - mt) ** 2 for t in ticks[:n])
        out["drift_ms_per_s"] = round(slope, 1)
    gaps = [1000 * (b - a) for a, b in zip(ticks, ticks[1:])]
    if len(gaps) > 1:
        out["beep_interval_ms_median"] = round(statistics.median(gaps), 1)
        out["beep_interval_ms_stdev"] = round(statistics.stdev(gaps), 1)
    out["white_at"] = [round(t, 3) for t in white]
    out["beep_at"] = [round(t, 3) for t in ticks]
    out["flashes"] = len(white)
    out["ticks"] = len(ticks)
    out["offsets_ms"] = [round(o, 1) for o in offsets]
    if offsets:
        a = sorted(abs(o) for o in offsets)
        out["offset_ms_median"] = round(statistics.median(offsets), 1)
        out["offset_ms_min"] = round(min(offsets), 1)
        out["offset_ms_max"] = round(max(offsets), 1)
        out["abs_offset_ms_p90"] = round(a[min(len(a) - 1, int(0.9 * len(a)))], 1)
        out["within_40ms"] = f"{sum(1 for o in a if o <= 40)}/{len(a)}"
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30, help="SRT reading time")
    ap.add_argument("--period", type=int, default=PERIOD,
                    help="seconds between flashes (offsets are unambiguous within +-period/2)")
    ap.add_argument("--flash-on", choices=("monitor", "slot"), default="monitor",
                    help="when the client flashes: as the speaker plays the beep (default), "
                         "or at the beep's slot in the app's stream (beeper.py)")
    ap.add_argument("--readers", default="srt,webrtc",
                    help="srt (ffmpeg, the stream's timestamps), webrtc (Chromium, as shown "
                         "and output), in turn in one session")
    ap.add_argument("--worker", help="a vdid-worker binary to run (VDID_WORKER), e.g. main's")
    ap.add_argument("--log", help="vdid's log (and its workers') to this file")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: sessions run as the test user")
    tmp = tempfile.mkdtemp(prefix="av-sync-bench-")
    os.chmod(tmp, 0o755)
    beeper = os.path.join(tmp, "beeper.py")
    with open(os.path.join(HERE, "beeper.py")) as f, open(beeper, "w") as b:
        b.write(f.read())
    os.chmod(beeper, 0o755)
    hashed = subprocess.run([f"{BUILD}/orchestrator/vdid", "hash-password", "pw"],
                            capture_output=True, text=True, check=True).stdout.strip()
    env = dict(os.environ, GST_PLUGIN_PATH=f"{BUILD}/plugins/wayland:{BUILD}/plugins/session",
               VDID_WEB_ROOT=f"{BUILD}/web/app")
    if args.worker:
        env["VDID_WORKER"] = args.worker
    conf = os.path.join(tmp, "vdid.conf")
    with open(conf, "w") as f:
        f.write(f"[server]\nsrt-listen=127.0.0.1:0\n[users]\n{USER}={hashed}\n"
                f"[sessions]\nwidth=640\nheight=480\nfps=30\nidle-timeout=0\n"
                f"runtime-dir={tmp}/run\n")
    vdid, base = benchlib.start_vdid(conf, env, open(args.log, "w") if args.log else subprocess.DEVNULL)
    auth = f"{USER}:pw"
    out = {}
    try:
        # Beeps for every reader in turn (and their start-up).
        count = int(len(args.readers.split(",")) * (args.seconds + 15) / args.period) + 4
        body = json.dumps({"apps": [["/bin/sh", "-c", app(beeper, args.period, count, args.flash_on) +
                                     ' 2> "$XDG_RUNTIME_DIR/app.log"']]})
        sid = json.loads(request("POST", f"{base}/api/v1/sessions", auth, body)[1])["id"]
        while True:
            s = json.loads(request("GET", f"{base}/api/v1/sessions/{sid}", auth)[1])
            if s["state"] != "starting":
                break
            time.sleep(0.05)
        if s["state"] != "running":
            sys.exit(f"session: {s}")
        url = s["urls"]["srt"] + f":{USER}:pw&timeout=20000000"
        time.sleep(2)  # the app's window is up and fullscreen
        for reader in args.readers.split(","):
            if reader == "srt":
                luma, rms = read_srt(url, args.seconds)
                if not luma or not rms:
                    sys.exit(f"ffmpeg read nothing; the app said: {app_log(tmp, sid)[-1500:]}")
                lo, hi = min(v for _, v in luma), max(v for _, v in luma)
                white = edges(luma, (lo + hi) / 2, args.period / 2)
                ticks = edges(rms, -30.0)  # dBFS: silence is -inf
                res = analyse(white, ticks, args.period)
                res["frames"] = len(luma)
                res["luma_range"] = [round(lo, 1), round(hi, 1)]
                # Samples the stream carries per second of its audio
                # timestamps: 1.0 when no sound was lost.
                if len(rms) > 1:
                    res["audio_samples_per_timestamp_second"] = round(
                        len(rms) * 240 / 48000 / (rms[-1][0] - rms[0][0]), 3)
                # The frame interval bounds the resolution of a video edge.
                if len(luma) > 1:
                    res["frame_interval_ms"] = round(
                        1000 * (luma[-1][0] - luma[0][0]) / (len(luma) - 1), 1)
            elif reader == "webrtc":
                page = read_webrtc(base, sid, args.seconds)
                luma = sorted((f[0] / 1000, f[1]) for f in page["frames"])
                if not luma or not page["onsets"]:
                    sys.exit(f"Chromium saw nothing: {page}")
                lo, hi = min(v for _, v in luma), max(v for _, v in luma)
                white = edges(luma, (lo + hi) / 2, args.period / 2)
                ticks = []
                for t in sorted(page["onsets"]):
                    if not ticks or t / 1000 - ticks[-1] > 0.3:
                        ticks.append(t / 1000)
                res = analyse(white, ticks, args.period)
                res["frames"] = len(luma)
                res["luma_range"] = [round(lo, 1), round(hi, 1)]
                stats = page.get("stats", {})
                res["receiver_stats"] = stats
                for kind in ("audio", "video"):
                    st = stats.get(kind, {})
                    if st.get("jitterBufferEmittedCount"):
                        res[f"{kind}_jitter_buffer_ms"] = round(
                            1000 * st["jitterBufferDelay"] / st["jitterBufferEmittedCount"], 1)
            else:
                sys.exit(f"unknown reader {reader}")
            if "offsets_ms" not in res or not res["offsets_ms"]:
                print(f"the app said: {app_log(tmp, sid)[-1500:]}", file=sys.stderr)
            out[reader] = res
            print(f"{reader}: {res.get('offsets_ms')}", file=sys.stderr)
        # The client: beep written -> the speaker plays it (a recorder of its
        # monitor has it) -> the white frame committed.
        written = read_times(f"{tmp}/run/{sid}/beeps.log")
        committed = read_times(f"{tmp}/run/{sid}/beeps.log.flash")
        played = read_times(f"{tmp}/run/{sid}/beeps.log.monitor")
        for name, a, b in (("client_commit_after_beep_ms", written, committed),
                           ("app_write_to_speaker_ms", written, played),
                           ("client_commit_after_speaker_ms", played, committed)):
            d = pair_after(a, b)
            if d:
                out[name + "_median"] = round(statistics.median(d), 1)
                out[name + "_range"] = [round(min(d)), round(max(d))]
        request("DELETE", f"{base}/api/v1/sessions/{sid}", auth)
    finally:
        vdid.terminate()
        vdid.wait(20)
        subprocess.run(["rm", "-rf", tmp])
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
