/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Timestamps for the worker's sound capture (docs/sound.md "Timestamps"):
 * a stream whose sample count keeps time with the pipeline's clock, for
 * the muxers of SRT and HLS (which order the sound against the video by
 * timestamp) and for the RTP timestamps a WebRTC receiver plays by.
 *
 * What the capture delivers, measured (docs/benchmarks.md): buffers whose
 * arrival jitters by a few ms (pipewire-pulse sends 1024-frame chunks,
 * pulsesrc cuts them into 20 ms), and, whenever the session's PipeWire
 * misses a cycle (an xrun: no realtime scheduling, a loaded host), one
 * graph quantum (5.3 ms at 256 frames) that never arrives. Counting samples
 * then falls behind the clock for good, by one quantum per xrun (0.988 s
 * of samples per second on a loaded host); stamping each buffer with its
 * arrival time instead carries the arrival jitter into every timestamp.
 *
 * So: the samples' time = (samples counted so far) + a correction C, where
 * C follows the lower envelope of (arrival - samples counted) over the last
 * kWindow of arrivals: the buffer that arrived soonest after its samples
 * were made defines "on time". When that envelope has risen (samples were
 * lost), C jumps up by as much and the caller puts that much silence in
 * front of the buffer (the hole, filled where it happened, as audiorate
 * would); when it has fallen (the stream runs ahead: its first buffer came
 * late), C comes down and the caller drops that much from the buffer's
 * front, at most half a buffer at a time. Either way the output stays
 * contiguous: each buffer starts where the last one ended. Far behind the
 * clock (the passive capture paused: no samples for seconds) the next
 * buffer starts a new run at its arrival (discont); far ahead, nothing
 * jumps back: the drops bring it in.
 */

#pragma once

#include <cstdint>
#include <deque>

namespace vdid::worker {

class CaptureClock
{
public:
  /* Nanoseconds of the pipeline's running time. */
  struct Stamp {
    int64_t pts;         /* where the output buffer starts: the last one's end, or a new run */
    int64_t gap;         /* > 0: that much silence goes before the buffer's samples;
                          * < 0: that much of its samples is dropped from its front */
    int64_t gap_samples; /* the same in samples */
    bool discont;        /* a new run: after a pause, or the first buffer */
  };

  /* Lower envelope over this much of arrivals. */
  static constexpr int64_t kWindow = 500'000'000;
  /* Envelope moves smaller than this are left alone (rounding, jitter). */
  static constexpr int64_t kSlack = 1'000'000;
  /* Timestamps behind the clock by more than this: a new run. */
  static constexpr int64_t kResync = 200'000'000;

  /* A buffer of @duration that arrived at @now (running time; its last
   * sample just made), at @rate samples a second: where it goes. The
   * output buffer lasts @duration + gap. */
  Stamp stamp(int64_t now, int64_t duration, int rate);

  /* The holes filled and the new runs so far (for logs and tests). */
  int64_t holes() const { return holes_; }
  int64_t resyncs() const { return resyncs_; }

private:
  struct Arrival {
    int64_t at;     /* now */
    int64_t offset; /* now - samples counted up to the buffer's end */
  };

  bool running_ = false;
  int64_t counted_ = 0;    /* ns of samples since the run began */
  int64_t correction_ = 0; /* C */
  int64_t since_ = 0;      /* arrival of the run's first buffer, or the last jump */
  std::deque<Arrival> window_;
  int64_t holes_ = 0;
  int64_t resyncs_ = 0;
};

} // namespace vdid::worker
