/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The SRT stream id parser of vdisrtsink, and the TS scanner that finds
 * where a new caller may start (on real mpegtsmux output).
 */

#include "gst-util.h"
#include "streamid.h"
#include "test-util.h"
#include "ts-scan.h"

#include <gst/app/gstappsink.h>

#include <random>

using namespace vdi::srt;
using namespace vdi::test;

TEST_CASE("streamid: read:NAME and credentials", "[streamid]")
{
  auto id = parseStreamId("read:desk1");
  REQUIRE(id);
  CHECK(id->mode == StreamMode::Request);
  CHECK(id->name == "desk1");
  CHECK_FALSE(id->user);
  CHECK_FALSE(id->password);

  id = parseStreamId("read:desk1:ann:s3cret");
  REQUIRE(id);
  CHECK(id->name == "desk1");
  CHECK(*id->user == "ann");
  CHECK(*id->password == "s3cret");
  CHECK(formatStreamId(*id) == "read:desk1:ann:s3cret");

  /* An empty password is a password. */
  id = parseStreamId("read:desk1:ann:");
  REQUIRE(id);
  CHECK(*id->password == "");

  /* Names may hold slashes, dots and dashes, like mediamtx paths. */
  id = parseStreamId("read:team/desk-1.a_b");
  REQUIRE(id);
  CHECK(id->name == "team/desk-1.a_b");
}

TEST_CASE("streamid: publish is parsed as publish", "[streamid]")
{
  auto id = parseStreamId("publish:desk1");
  REQUIRE(id);
  CHECK(id->mode == StreamMode::Publish);
  id = parseStreamId("#!::r=desk1,m=publish");
  REQUIRE(id);
  CHECK(id->mode == StreamMode::Publish);
  id = parseStreamId("#!::r=desk1,m=bidirectional");
  REQUIRE(id);
  CHECK(id->mode == StreamMode::Bidirectional);
}

TEST_CASE("streamid: SRT access-control form", "[streamid]")
{
  auto id = parseStreamId("#!::r=desk1,m=request");
  REQUIRE(id);
  CHECK(id->mode == StreamMode::Request);
  CHECK(id->name == "desk1");

  id = parseStreamId("#!::m=read,r=desk2");
  REQUIRE(id);
  CHECK(id->mode == StreamMode::Request);
  CHECK(id->name == "desk2");

  id = parseStreamId("#!::r=desk3");
  REQUIRE(id);
  CHECK(id->mode == StreamMode::Request); /* m absent: request */

  id = parseStreamId("#!::u=ann,r=desk1,s=pw,h=example.org,t=stream,x-custom=1");
  REQUIRE(id);
  CHECK(*id->user == "ann");
  CHECK(*id->password == "pw");
  REQUIRE(id->extra.size() == 2);
  CHECK(id->extra[0].first == "h");
  CHECK(id->extra[0].second == "example.org");
  CHECK(id->extra[1].first == "x-custom");
}

TEST_CASE("streamid: malformed ids are errors with a message", "[streamid]")
{
  const char *bad[] = {
    "",
    "desk1",                  /* no verb */
    "read",                   /* no name */
    "read:",                  /* empty name */
    "read:a:b",               /* user without password */
    "read:a:b:c:d",           /* too many parts */
    "read::ann:pw",           /* empty name with credentials */
    "read:a::pw",             /* empty user */
    "write:desk1",            /* unknown verb */
    "#!::",                   /* nothing */
    "#!::m=request",          /* no resource */
    "#!::r=",                 /* empty resource */
    "#!::r=a,r=b",            /* twice */
    "#!::u=,r=,r=d",          /* empty user, r twice (found by the fuzzer) */
    "#!::r=a,u=",             /* empty user */
    "#!::r=a,m=listen",       /* unknown mode */
    "#!::r=a,t=file",         /* not a stream */
    "#!::r=a,junk",           /* no '=' */
    "#!::=x,r=a",             /* empty key */
    "read:desk 1",            /* space in the name */
    "read:de\x01sk",          /* control byte */
    "#!::r=a=b",              /* '=' in the name */
    "read:\xc3\xa9t\xc3\xa9", /* not ASCII */
  };
  for (const char *text : bad) {
    INFO("streamid \"" << text << "\"");
    std::string error;
    CHECK_FALSE(parseStreamId(text, &error));
    CHECK_FALSE(error.empty());
  }
  std::string error;
  CHECK_FALSE(parseStreamId("read:" + std::string(600, 'a'), &error));
  CHECK(error.find("512") != std::string::npos);
  CHECK_FALSE(parseStreamId("read:" + std::string(256, 'a'), &error));
  CHECK(parseStreamId("read:" + std::string(255, 'a')));
}

TEST_CASE("streamid: session names", "[streamid]")
{
  CHECK(validSessionName("a"));
  CHECK(validSessionName("desk-1/x.y"));
  CHECK_FALSE(validSessionName(""));
  CHECK_FALSE(validSessionName("a:b"));
  CHECK_FALSE(validSessionName("a,b"));
  CHECK_FALSE(validSessionName("a b"));
  CHECK_FALSE(validSessionName(std::string(256, 'a')));
}

TEST_CASE("streamid: random input never crashes and round-trips", "[streamid]")
{
  std::mt19937 rng(1234);
  const std::string alphabet = "readpublish#!:=,rmsuht0123 \x01\xff";
  int accepted = 0;
  for (int i = 0; i < 20000; i++) {
    std::string s;
    size_t len = rng() % 40;
    for (size_t k = 0; k < len; k++)
      s += alphabet[rng() % alphabet.size()];
    if (rng() % 3 == 0)
      s = (rng() % 2 ? "read:" : "#!::r=") + s;
    std::string error;
    auto id = parseStreamId(s, &error);
    if (id) {
      accepted++;
      REQUIRE(validSessionName(id->name));
      /* The canonical form parses back to the same request. */
      if (id->mode == StreamMode::Request &&
          (!id->user || id->user->find(':') == std::string::npos) &&
          (!id->password || id->password->find(':') == std::string::npos)) {
        auto again = parseStreamId(formatStreamId(*id));
        REQUIRE(again);
        CHECK(again->name == id->name);
        CHECK(again->user == id->user);
      }
    } else {
      REQUIRE_FALSE(error.empty());
    }
  }
  CHECK(accepted > 100);
}

namespace {

/* Muxes @frames frames of H.264 (keyframe every @gop) with mpegtsmux. */
std::string muxedStream(int frames, int gop)
{
  std::string desc = "videotestsrc num-buffers=" + std::to_string(frames) +
                     " ! video/x-raw,width=160,height=120,framerate=30/1 ! x264enc "
                     "tune=zerolatency speed-preset=ultrafast key-int-max=" +
                     std::to_string(gop) +
                     " ! h264parse config-interval=-1 ! mpegtsmux alignment=7 ! appsink "
                     "name=out sync=false";
  g_autoptr(GError) error = nullptr;
  GstElement *pipeline = gst_parse_launch(desc.c_str(), &error);
  REQUIRE(pipeline);
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "out");
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  std::string out;
  while (GstSample *sample = gst_app_sink_pull_sample(GST_APP_SINK(sink))) {
    GstBuffer *b = gst_sample_get_buffer(sample);
    GstMapInfo map;
    gst_buffer_map(b, &map, GST_MAP_READ);
    out.append(reinterpret_cast<const char *>(map.data), map.size);
    gst_buffer_unmap(b, &map);
    gst_sample_unref(sample);
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
  return out;
}

} // namespace

TEST_CASE("ts scanner: finds every keyframe of real mpegtsmux output", "[ts-scan]")
{
  std::string ts = muxedStream(60, 15);
  REQUIRE(ts.size() % kTsPacketSize == 0);
  TsScanner scanner;
  int keyframes = 0;
  for (size_t off = 0; off < ts.size(); off += kTsPacketSize)
    keyframes += scanner.feed(reinterpret_cast<const uint8_t *>(ts.data() + off));
  CHECK(keyframes == 4); /* frames 0, 15, 30, 45 */
  CHECK(scanner.haveTables());
  CHECK(scanner.videoPid() > 0);
  std::string psi = scanner.psiPackets();
  REQUIRE(psi.size() == 2 * kTsPacketSize);
  CHECK(static_cast<uint8_t>(psi[0]) == 0x47);
  CHECK((((psi[1] & 0x1f) << 8) | static_cast<uint8_t>(psi[2])) == 0); /* PAT first */
}

TEST_CASE("ts scanner: garbage is ignored", "[ts-scan]")
{
  std::mt19937 rng(99);
  TsScanner scanner;
  uint8_t packet[kTsPacketSize];
  for (int i = 0; i < 20000; i++) {
    for (auto &b : packet)
      b = static_cast<uint8_t>(rng());
    if (i % 2)
      packet[0] = 0x47;
    if (i % 4 == 1)
      packet[1] &= 0xe0, packet[2] = 0; /* PID 0: a garbage PAT */
    scanner.feed(packet);
  }
  SUCCEED("no crash on 20000 random packets");
}
