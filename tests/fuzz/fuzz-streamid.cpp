/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * libFuzzer target: vdisrtsink's SRT stream id parser (network input at
 * handshake time) and its TS scanner (fed with arbitrary 188-byte packets).
 * Invariants: no crash; an accepted id has a valid session name, and its
 * canonical form parses back to the same name.
 */

#include "streamid.h"
#include "ts-scan.h"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  std::string text(reinterpret_cast<const char *>(data), size);
  std::string error;
  auto id = vdi::srt::parseStreamId(text, &error);
  if (id) {
    if (!vdi::srt::validSessionName(id->name))
      abort();
    bool simple = (!id->user || id->user->find(':') == std::string::npos) &&
                  (!id->password || id->password->find(':') == std::string::npos);
    if (simple && id->mode != vdi::srt::StreamMode::Bidirectional) {
      auto again = vdi::srt::parseStreamId(vdi::srt::formatStreamId(*id));
      if (!again || again->name != id->name)
        abort();
    }
  } else if (error.empty()) {
    abort();
  }

  vdi::srt::TsScanner scanner;
  for (size_t off = 0; off + vdi::srt::kTsPacketSize <= size; off += vdi::srt::kTsPacketSize)
    scanner.feed(data + off);
  return 0;
}
