/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * libFuzzer target: what vdiwebrtcsink reads of a WHEP client's SDP (the
 * body of its POST, through vdid or the element's own server) and of its
 * trickle PATCHes: GstSDP's parser, then the payload types and the TWCC
 * extension chosen from the offer as webrtc-viewer.cpp's readOffer() does
 * (webrtc-sdp.h), then the candidate fragment reader
 * (webrtc-signalling.h). Invariants: no crash or leak; a chosen payload
 * type is a dynamic or static RTP type (0-127) the m-line lists, with a
 * 6-digit profile-level-id for H.264; a fragment accepted has only
 * candidate lines.
 */

#include "webrtc-sdp.h"
#include "webrtc-signalling.h"

#include <gst/gst.h>

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  gst_init(argc, argv);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  std::string text(reinterpret_cast<const char *>(data), size);
  GstSDPMessage *sdp = nullptr;
  if (gst_sdp_message_new_from_text(text.c_str(), &sdp) == GST_SDP_OK && sdp) {
    for (const char *profile : {"constrained-baseline", "baseline", "main", "high"}) {
      std::string pli;
      int pt =
        vdi::webrtc::chooseOfferedPayload(sdp, "H264", vdi::webrtc::profilePrefix(profile), pli);
      if (pt > 127 || (pt >= 0 && pli.size() != 6))
        abort();
    }
    std::string unused;
    if (vdi::webrtc::chooseOfferedPayload(sdp, "opus", "", unused, "audio") > 127)
      abort();
    int twcc = vdi::webrtc::offeredExtensionId(
      sdp, "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01");
    if (twcc == 0 || twcc > 255)
      abort();
  }
  if (sdp)
    gst_sdp_message_free(sdp);

  std::vector<std::string> candidates;
  std::string error;
  if (vdi::webrtc::parseTrickleFragment(text, &candidates, &error)) {
    for (const auto &c : candidates)
      if (c.rfind("candidate:", 0) != 0)
        abort();
  } else if (error.empty()) {
    abort();
  }
  return 0;
}
