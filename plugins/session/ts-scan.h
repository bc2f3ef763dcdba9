/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Just enough MPEG-TS parsing for a server that lets callers join a running
 * stream: remembers the latest PAT and PMT packets (a new caller gets them
 * first) and finds the video stream's random access points (a packet that
 * starts a PES with the adaptation field's random_access_indicator set, which
 * mpegtsmux and ffmpeg set on keyframes), so a caller starts on a keyframe.
 */

#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace vdi::srt {

constexpr size_t kTsPacketSize = 188;

class TsScanner
{
public:
  /* Looks at one 188-byte packet. Returns true if it starts a keyframe of
   * the video stream (or of the first elementary stream when the PMT lists
   * no video). Packets that are not 188 bytes with sync byte 0x47 are
   * ignored (false). */
  bool feed(const uint8_t *packet);

  /* The latest PAT and PMT packets seen (empty until seen), to send to a
   * caller before its first keyframe. */
  std::string psiPackets() const { return pat_ + pmt_; }
  bool haveTables() const { return !pat_.empty() && !pmt_.empty(); }
  int videoPid() const { return video_pid_; }

private:
  void parsePat(const uint8_t *payload, size_t size);
  void parsePmt(const uint8_t *payload, size_t size);

  int pmt_pid_ = -1;
  int video_pid_ = -1;
  std::string pat_;
  std::string pmt_;
};

} // namespace vdi::srt
