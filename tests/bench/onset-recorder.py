#!/usr/bin/python3
# Records a PulseAudio source and logs the wall-clock time (time.time()) at
# which each beep's first loud chunk arrives, one per line, to LOG: run in a
# session next to tests/bench/beeper.py (the capture part of the audio
# latency, what any PulseAudio client of the session's sound server sees),
# or with --stdin on decoded audio (48 kHz mono S16LE on its stdin, e.g. an
# ffmpeg reading the session over SRT). An onset: a 10 ms chunk whose peak
# passes 3000 after at least 50 ms below 300.
#
#   onset-recorder.py LOG [--device vdi-speaker.monitor] [--latency-msec 10] [--stdin]
import argparse
import array
import os
import subprocess
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("log")
ap.add_argument("--device", default="vdi-speaker.monitor")
ap.add_argument("--latency-msec", type=int, default=10)
ap.add_argument("--stdin", action="store_true", help="read S16LE 48 kHz mono from stdin")
args = ap.parse_args()

CHUNK = 480 * 2  # bytes: 10 ms
if args.stdin:
    fd = sys.stdin.fileno()
else:
    rec = subprocess.Popen(["pacat", "--record", "--raw", "--format=s16le", "--rate=48000",
                            "--channels=1", f"--latency-msec={args.latency_msec}",
                            f"--device={args.device}"], stdout=subprocess.PIPE)
    fd = rec.stdout.fileno()
log = open(args.log, "w", buffering=1)
pending = b""
quiet = 0
while True:
    data = os.read(fd, 65536)
    if not data:
        break
    now = time.time()
    pending += data
    while len(pending) >= CHUNK:
        chunk, pending = pending[:CHUNK], pending[CHUNK:]
        a = array.array("h")
        a.frombytes(chunk)
        peak = max(max(a), -min(a))
        if peak > 3000 and quiet >= 5:
            log.write(f"{now:.6f}\n")
        quiet = quiet + 1 if peak < 300 else 0
