/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * A viewer's microphone (docs/sound.md, "Microphone"): what vdiwebrtcsink
 * does with the audio a browser sends.
 *
 * A control viewer's audio transceiver is negotiated `sendrecv` when the
 * element has a #GstVdiWebrtcSink:microphone-sink; when webrtcbin exposes a
 * received stream (its pad-added), the viewer's bin gets a bin `mic-N`:
 *
 *   webrtcbin.src_N ! queue (leaky) ! rtpopusdepay ! opusdec
 *     ! audioconvert ! audioresample ! <microphone-sink>
 *
 * A probe on webrtcbin's pad decides per packet whether it is heard: only
 * Opus audio, only while the viewer may send (control role, checked on
 * every packet: a viewer made view-only is cut at once), and only from the
 * viewer that holds the floor (MicrophoneFloor). Everything else is dropped
 * there, so a refused stream never reaches a decoder. Streams that are
 * refused from the start (not audio, not Opus, view-only) go into a
 * fakesink, so webrtcbin never sees a not-linked pad.
 */

#pragma once

#include <gst/gst.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace vdi::webrtc {

/* Who is heard: one microphone at a time, the one that started last. A
 * viewer "starts" when a packet comes after more than @gapMs without one
 * (the browser sends nothing while its microphone is off); when the holder
 * has been quiet that long, the next viewer that sends takes the floor. */
class MicrophoneFloor
{
public:
  explicit MicrophoneFloor(int64_t gapMs = 1000) : gapMs_(gapMs) {}
  /* A packet from viewer @id at @nowMs (monotonic): whether it is heard.
   * @changed: set when the floor moved to @id with this packet. */
  bool admit(const std::string &id, int64_t nowMs, bool *changed = nullptr)
  {
    std::lock_guard<std::mutex> g(lock_);
    auto it = last_.find(id);
    bool starts = it == last_.end() || nowMs - it->second > gapMs_;
    last_[id] = nowMs;
    auto held = holder_.empty() ? last_.end() : last_.find(holder_);
    bool holderQuiet = held == last_.end() || nowMs - held->second > gapMs_;
    if (holder_ != id && (starts || holderQuiet)) {
      holder_ = id;
      if (changed)
        *changed = true;
    }
    return holder_ == id;
  }
  void forget(const std::string &id)
  {
    std::lock_guard<std::mutex> g(lock_);
    last_.erase(id);
    if (holder_ == id)
      holder_.clear();
  }
  std::string holder() const
  {
    std::lock_guard<std::mutex> g(lock_);
    return holder_;
  }

private:
  const int64_t gapMs_;
  mutable std::mutex lock_;
  std::string holder_;
  std::map<std::string, int64_t> last_; /* viewer -> last packet */
};

/* What a viewer's microphone needs; shared by its callbacks. */
struct MicrophoneState {
  std::string viewerId;
  GstElement *owner = nullptr;      /* for log messages (not owned) */
  std::string sinkDescription;      /* empty: microphones refused */
  std::atomic<bool> allowed{false}; /* the viewer's role allows it now */
  std::atomic<bool> broken{false};  /* the chain failed: drop from now on */
  std::shared_ptr<MicrophoneFloor> floor;
  std::atomic<unsigned> streams{0}; /* mic bins built so far */
  std::atomic<uint64_t> heard{0};   /* packets passed to the decoder */
  std::atomic<uint64_t> dropped{0}; /* packets refused */
};

/* webrtcbin exposed received stream @pad inside @viewerBin (its
 * pad-added, streaming thread): builds the decoding bin or a fakesink. */
void attachMicrophone(GstBin *viewerBin, GstPad *pad, const std::shared_ptr<MicrophoneState> &m);

/* An error from @object: when it is inside a microphone bin, that
 * microphone is dropped from now on (its errors cost the microphone, not
 * the viewer) and true is returned. Any thread (the bin's message
 * handler runs in the thread that failed, before the failure travels
 * upstream). */
bool microphoneError(GstObject *object);

} // namespace vdi::webrtc
