/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * libFuzzer target: vdisrtsink's MPEG-TS scanner (ts-scan.h), which reads
 * every packet a session's muxer writes and whatever vdid-srt is fed. The
 * input is a run of 188-byte packets (seeds: mpegtsmux output). Invariants:
 * no crash or overread; the remembered tables are whole packets with the
 * sync byte; the video PID is a PID or -1; a keyframe is only reported on
 * the video PID once the tables were seen.
 */

#include "ts-scan.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  using vdi::srt::kTsPacketSize;
  vdi::srt::TsScanner scanner;
  for (size_t off = 0; off + kTsPacketSize <= size; off += kTsPacketSize) {
    const uint8_t *p = data + off;
    bool key = scanner.feed(p);
    int pid = ((p[1] & 0x1f) << 8) | p[2];
    if (key && (p[0] != 0x47 || pid != scanner.videoPid()))
      abort();
    std::string psi = scanner.psiPackets();
    if (psi.size() % kTsPacketSize != 0 || psi.size() > 2 * kTsPacketSize)
      abort();
    for (size_t i = 0; i < psi.size(); i += kTsPacketSize)
      if (uint8_t(psi[i]) != 0x47)
        abort();
    if (scanner.videoPid() < -1 || scanner.videoPid() > 0x1fff)
      abort();
  }
  return 0;
}
