#!/usr/bin/python3
# An app for the sound benchmarks (tests/bench/sound-bench.py), run inside a
# vdid session: plays silence through PulseAudio (pacat, 10 ms latency) and
# every --period seconds a --length ms 1 kHz beep, writing 10 ms chunks paced
# by the clock (never more than 20 ms ahead) into a one-page pipe, and logs the wall-clock time (time.time()) at which it wrote the
# first non-silent sample of each beep, one per line, to LOG.
#
# With --flash CLIENT (tests/clients/vdi-test-client, a fullscreen window),
# it is also the A/V source of tests/bench/av-sync-bench.py: the window turns
# white when a beep starts and black when it ends: the command goes out at
# the time the beep's first sample should play (its chunk's slot in the
# paced stream + pacat's 10 ms latency); the time at which the client says
# the white frame is committed goes to LOG.flash.
#
#   beeper.py LOG [--period 1.0] [--length 100] [--count 30] [--flash CLIENT]
import argparse
import fcntl
import math
import struct
import subprocess
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("log")
ap.add_argument("--period", type=float, default=1.0)
ap.add_argument("--length", type=float, default=100)
ap.add_argument("--count", type=int, default=30)
ap.add_argument("--flash", help="vdi-test-client to flash with each beep")
args = ap.parse_args()

window = None
if args.flash:
    window = subprocess.Popen([args.flash], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, bufsize=1)
    for line in window.stdout:
        if line.startswith("configured"):
            break
    window.stdin.write("color 000000\n")
    flash_log = open(args.log + ".flash", "w", buffering=1)

    def commits():
        white = False
        for line in window.stdout:
            if line.startswith("ok color"):
                white = not white
                if white:
                    flash_log.write(f"{time.time():.6f}\n")

    window.stdout.readline()  # the black frame
    threading.Thread(target=commits, daemon=True).start()
    window_lock = threading.Lock()

    def paint(at, color):
        def send():
            with window_lock:
                window.stdin.write(f"color {color}\n")
        threading.Timer(max(0.0, at - time.monotonic()), send).start()

RATE, CHUNK = 48000, 480
silence = b"\0\0" * CHUNK
tone = b"".join(struct.pack("<h", int(12000 * math.sin(2 * math.pi * 1000 * i / RATE)))
                for i in range(CHUNK))
pacat = subprocess.Popen(["pacat", "--playback", "--raw", "--format=s16le", f"--rate={RATE}",
                          "--channels=1", "--latency-msec=10"], stdin=subprocess.PIPE)
# The smallest pipe (one page, 43 ms of audio): when the sound server takes
# samples slower than real time, writes block instead of queueing up to
# 680 ms in a default pipe.
fcntl.fcntl(pacat.stdin.fileno(), 1031, 4096)  # F_SETPIPE_SZ
log = open(args.log, "w", buffering=1)
start = time.monotonic()
chunk_s = CHUNK / RATE
per_beep = int(args.period / chunk_s)
beep_chunks = max(1, int(args.length / 1000 / chunk_s))
n = 0
total = per_beep * (args.count + 2)
while n < total:
    # Stay at most two chunks ahead of real time.
    ahead = start + n * chunk_s - time.monotonic()
    if ahead > 2 * chunk_s:
        time.sleep(ahead - 2 * chunk_s)
    k = n % per_beep
    beep = n >= per_beep and k < beep_chunks  # the first period is silent
    if window and beep and k == 0:
        slot = start + n * chunk_s + 0.010  # when this chunk should play
        paint(slot, "ffffff")
        paint(slot + beep_chunks * chunk_s, "000000")
    if beep and k == 0:
        log.write(f"{time.time():.6f}\n")
    pacat.stdin.write(tone if beep else silence)
    pacat.stdin.flush()
    n += 1
pacat.stdin.close()
pacat.wait()
