/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * What vdiwebrtcsink changes in its own session descriptions
 * (plugins/session/webrtc-sdp.h): the audio gets a media stream of its own,
 * so that a browser does not hold it back to the video's delay.
 */

#include "webrtc-sdp.h"

#include <catch2/catch.hpp>
#include <glib.h>

#include <string>

using vdi::webrtc::separateAudioStream;

namespace {

/* What webrtcbin 1.22 offers (trimmed): one stream id, its cname, for both
 * m-lines. */
const char *kOffer = "v=0\r\n"
                     "o=- 1977887715646336685 0 IN IP4 0.0.0.0\r\n"
                     "s=-\r\n"
                     "t=0 0\r\n"
                     "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
                     "a=rtpmap:96 H264/90000\r\n"
                     "a=ssrc:375474880 msid:user895515492@host-dfd00c63 webrtctransceiver0\r\n"
                     "a=ssrc:375474880 cname:user895515492@host-dfd00c63\r\n"
                     "a=mid:video0\r\n"
                     "m=audio 9 UDP/TLS/RTP/SAVPF 97\r\n"
                     "a=rtpmap:97 OPUS/48000/2\r\n"
                     "a=ssrc:455655076 msid:user895515492@host-dfd00c63 webrtctransceiver1\r\n"
                     "a=ssrc:455655076 cname:user895515492@host-dfd00c63\r\n"
                     "a=msid:user895515492@host-dfd00c63 webrtctransceiver1\r\n"
                     "a=mid:audio1\r\n";

std::string separated(const char *text)
{
  GstSDPMessage *sdp = nullptr;
  gst_sdp_message_new_from_text(text, &sdp);
  REQUIRE(sdp);
  separateAudioStream(sdp);
  g_autofree char *out = gst_sdp_message_as_text(sdp);
  gst_sdp_message_free(sdp);
  return out;
}

} // namespace

TEST_CASE("the audio m-line gets a stream id of its own; the video and the track ids keep theirs",
          "[webrtc-sdp]")
{
  std::string out = separated(kOffer);
  INFO(out);
  CHECK(out.find("a=ssrc:375474880 msid:user895515492@host-dfd00c63 webrtctransceiver0\r\n") !=
        std::string::npos);
  CHECK(
    out.find("a=ssrc:455655076 msid:user895515492@host-dfd00c63-audio webrtctransceiver1\r\n") !=
    std::string::npos);
  CHECK(out.find("a=msid:user895515492@host-dfd00c63-audio webrtctransceiver1\r\n") !=
        std::string::npos);
  /* The cname (RTCP's own name) stays. */
  CHECK(out.find("a=ssrc:455655076 cname:user895515492@host-dfd00c63\r\n") != std::string::npos);
  /* Twice is once (an offer made again from the local description). */
  CHECK(separated(out.c_str()) == out);
}

TEST_CASE("an SDP without msid is left alone", "[webrtc-sdp]")
{
  const char *text = "v=0\r\n"
                     "o=- 1 0 IN IP4 0.0.0.0\r\n"
                     "s=-\r\n"
                     "t=0 0\r\n"
                     "m=audio 9 UDP/TLS/RTP/SAVPF 97\r\n"
                     "a=ssrc:1 cname:x\r\n"
                     "a=msid:\r\n";
  GstSDPMessage *sdp = nullptr;
  gst_sdp_message_new_from_text(text, &sdp);
  REQUIRE(sdp);
  g_autofree char *before = gst_sdp_message_as_text(sdp);
  gst_sdp_message_free(sdp);
  CHECK(separated(text) == before);
}
