/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * libFuzzer target: what vdid's TURN check reads from a TURN server (the
 * STUN response parser, network input) and the [webrtc] stun:/turn: URI
 * parser. Invariants: no crash; an accepted URI prints to a form that
 * parses back to the same URI; a parsed response's error code is 0 or
 * 300..699 (RFC 8489 14.8).
 */

#include "ice-servers.h"
#include "stun-message.h"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  /* The response parser, with the transaction id of the bytes themselves
   * so that the attributes are reached. */
  std::vector<uint8_t> buf(data, data + size);
  if (size >= 20) {
    vdid::stun::Response r;
    if (vdid::stun::parseResponse(buf.data(), buf.size(), buf.data() + 8, &r) &&
        r.error_code != 0 && (r.error_code < 300 || r.error_code > 699))
      abort();
  }

  std::string text(reinterpret_cast<const char *>(data), size);
  vdid::IceUri u;
  std::string why;
  if (vdid::IceUri::parse(text, &u, &why)) {
    vdid::IceUri again;
    if (!vdid::IceUri::parse(u.text(), &again, &why) || again.text() != u.text() ||
        again.port != u.port || again.host != u.host)
      abort();
    (void)u.webrtcbin("1700000000:user", "p/a+s=s");
  } else if (why.empty()) {
    abort();
  }
  return 0;
}
