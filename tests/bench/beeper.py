#!/usr/bin/python3
# An app for the sound benchmarks (tests/bench/sound-bench.py), run inside a
# vdid session: plays silence through PulseAudio (pacat, 10 ms latency) and
# every --period seconds a --length ms 1 kHz beep, writing 10 ms chunks paced
# by the clock (never more than 20 ms ahead) into a one-page pipe, and logs the wall-clock time (time.time()) at which it wrote the
# first non-silent sample of each beep, one per line, to LOG.
#
# With --flash CLIENT (tests/clients/vdi-test-client, a fullscreen window),
# it is also the A/V source of tests/bench/av-sync-bench.py: the window turns
# white when a beep starts and black when it ends. When: with --flash-on
# monitor (the default), as soon as the beep comes out of the session's
# speaker (a PulseAudio recorder of vdi-speaker.monitor, 5 ms fragments,
# sees its first loud 5 ms; those times go to LOG.monitor): what an app that
# keeps its picture in step with its sound output does, whatever its own
# buffering; with --flash-on slot, at the time the beep's first sample
# should play by the stream's pacing alone (its chunk's slot + pacat's
# 10 ms), which ignores the sound server's real latency (tens of ms, more
# under load: the reference of round 2 session 8). The time at which the
# client says the white frame is committed goes to LOG.flash.
#
#   beeper.py LOG [--period 1.0] [--length 100] [--count 30] [--flash CLIENT]
#       [--flash-on monitor|slot]
import argparse
import array
import os
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
ap.add_argument("--flash-on", choices=("monitor", "slot"), default="monitor")
ap.add_argument("--monitor", default="vdi-speaker.monitor")
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

    def watch_monitor():
        """Flashes when the speaker plays a beep: a 5 ms block whose peak
        passes 3000 after at least 50 ms below 300."""
        rec = subprocess.Popen(["pacat", "--record", "--raw", "--format=s16le", "--rate=48000",
                                "--channels=1", "--latency-msec=5", f"--device={args.monitor}"],
                               stdout=subprocess.PIPE)
        monitor_log = open(args.log + ".monitor", "w", buffering=1)
        block, pending, quiet = 240 * 2, b"", 0
        while True:
            data = os.read(rec.stdout.fileno(), 65536)
            if not data:
                return
            pending += data
            while len(pending) >= block:
                chunk, pending = pending[:block], pending[block:]
                a = array.array("h")
                a.frombytes(chunk)
                peak = max(max(a), -min(a))
                if peak > 3000 and quiet >= 10:
                    now = time.monotonic()
                    monitor_log.write(f"{time.time():.6f}\n")
                    paint(now, "ffffff")
                    paint(now + args.length / 1000, "000000")
                quiet = quiet + 1 if peak < 300 else 0

    if args.flash_on == "monitor":
        threading.Thread(target=watch_monitor, daemon=True).start()

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
    if window and args.flash_on == "slot" and beep and k == 0:
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
