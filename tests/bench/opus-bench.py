#!/usr/bin/python3
# gst-vdi Opus encoder benchmark (issue 12, docs/benchmarks.md "Sound").
#
# What the worker's opusenc costs and how good it sounds, for candidate
# settings side by side in one run. No session, no sound server: the
# encoder alone, on two 48 kHz stereo references made here:
#   speech: flitetestsrc (Flite speaking channel names), mono on both channels
#   music:  sox synth, a plucked chord every 0.5 s over quiet pink noise
# Each candidate encodes each reference --rounds times, interleaved
# (`filesrc ! wavparse ! opusenc ... ! fakesink`, as fast as it goes); its
# CPU is the process's user+system time minus that of the same pipeline
# without opusenc (median of the rounds), per 60 s of audio. Quality: one
# more pass into Ogg, decoded by opusdec (pre-skip applied), SNR against the
# reference (the best alignment within +-10 ms; Opus is a perceptual codec,
# so SNR says "not worse", not "sounds better").
#
#   python3 tests/bench/opus-bench.py [--seconds 60] [--rounds 3]
#       [--candidates main,c5,c5-celt,...]   (names from CANDIDATES)

import argparse
import array
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import wave

# What every candidate shares: the worker's framing, FEC, DTX and bitrate.
COMMON = "frame-size=10 inband-fec=true packet-loss-percentage=5 dtx=true bitrate=96000"
CANDIDATES = {
    "main": "audio-type=generic",  # complexity 10 (the default)
    "c10-celt": "audio-type=restricted-lowdelay complexity=10",
    "c8": "audio-type=generic complexity=8",
    "c7": "audio-type=generic complexity=7",
    "c5": "audio-type=generic complexity=5",
    "c5-celt": "audio-type=restricted-lowdelay complexity=5 bandwidth=fullband",
    "c3-celt": "audio-type=restricted-lowdelay complexity=3 bandwidth=fullband",
}


def run(cmd):
    """CPU seconds (user + system) of @cmd, a gst-launch-1.0 argument string."""
    p = subprocess.Popen(["gst-launch-1.0", "-q"] + cmd.split(), stdout=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = status
    if status != 0:
        sys.exit(f"failed: gst-launch-1.0 {cmd}")
    return ru.ru_utime + ru.ru_stime


def read_wav(path):
    with wave.open(path) as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 2, path
        a = array.array("h")
        a.frombytes(w.readframes(w.getnframes()))
    return a


def snr(ref, dec):
    """SNR (dB) of @dec against @ref (interleaved stereo S16), at the lag
    within +-480 frames that fits best (found on a loud 0.2 s window)."""
    n = min(len(ref), len(dec)) // 2
    # the loudest 0.2 s of the reference, for finding the lag
    win = 9600
    best_start, best_e = 0, -1
    for s in range(480, n - win - 480, win):
        e = sum(ref[2 * i] * ref[2 * i] for i in range(s, s + win, 8))
        if e > best_e:
            best_start, best_e = s, e
    def err(lag, step):
        return sum((ref[2 * i] - dec[2 * (i + lag)]) ** 2
                   for i in range(best_start, best_start + win, step))
    lag = min(range(-480, 481), key=lambda l: err(l, 4))
    sig = noise = 0
    for i in range(max(0, -lag), min(n, n - lag)):
        for c in (0, 1):
            r = ref[2 * i + c]
            d = r - dec[2 * (i + lag) + c]
            sig += r * r
            noise += d * d
    return 10 * math.log10(sig / max(noise, 1)), lag


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--candidates", default=",".join(CANDIDATES))
    args = ap.parse_args()
    names = args.candidates.split(",")
    tmp = tempfile.mkdtemp(prefix="opus-bench-")
    refs = {}
    speech = os.path.join(tmp, "speech.wav")
    # flitetestsrc: 1024 samples a buffer at 48 kHz
    run(f"flitetestsrc num-buffers={args.seconds * 48000 // 1024 + 1} ! audio/x-raw,channels=1 "
        f"! audioconvert ! audio/x-raw,channels=2 ! wavenc ! filesink location={speech}")
    refs["speech"] = speech
    music = os.path.join(tmp, "music.wav")
    chords = " ".join(f"pluck {n}" for n in ("C3", "E3", "G3", "C4"))
    subprocess.run(["sox", "-n", "-r", "48000", "-b", "16", "-c", "2", music, "synth", "0.5"]
                   + chords.split() + ["pinknoise", "vol", "0.2", "repeat", str(2 * args.seconds - 1)],
                   check=True)
    refs["music"] = music

    head = "filesrc location={} ! wavparse ! audio/x-raw,format=S16LE,rate=48000,channels=2"
    cpu = {(n, r): [] for n in names + ["baseline"] for r in refs}
    for _ in range(args.rounds):
        for r, path in refs.items():
            cpu[("baseline", r)].append(run(f"{head.format(path)} ! fakesink"))
            for n in names:
                cpu[(n, r)].append(run(f"{head.format(path)} ! opusenc {COMMON} {CANDIDATES[n]} ! fakesink"))
    out = {"settings": {n: f"{COMMON} {CANDIDATES[n]}" for n in names}, "results": []}
    for r, path in refs.items():
        ref = read_wav(path)
        base = statistics.median(cpu[("baseline", r)])
        for n in names:
            enc = os.path.join(tmp, f"{n}-{r}.opus")
            dec = os.path.join(tmp, f"{n}-{r}.wav")
            run(f"{head.format(path)} ! opusenc {COMMON} {CANDIDATES[n]} ! oggmux ! filesink location={enc}")
            run(f"filesrc location={enc} ! oggdemux ! opusdec ! audio/x-raw,format=S16LE,rate=48000,channels=2 "
                f"! wavenc ! filesink location={dec}")
            s, lag = snr(ref, read_wav(dec))
            c = statistics.median(cpu[(n, r)]) - base
            out["results"].append({
                "audio": r, "candidate": n,
                "cpu_s_per_60s": round(c * 60 / args.seconds, 3),
                "cpu_rounds_s": [round(x - base, 3) for x in cpu[(n, r)]],
                "snr_db": round(s, 1), "lag_frames": lag,
                "kbit_s": round(os.path.getsize(enc) * 8 / args.seconds / 1000, 1),
            })
            print(out["results"][-1], file=sys.stderr)
    with open("/proc/loadavg") as f:
        out["loadavg_end"] = f.read().split()[0]
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
