/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Encoder choice: picks the H.264 encoder a session uses by what is
 * registered at run time, in the order nvh264enc (NVENC) -> vah264enc
 * (VA-API) -> x264enc -> openh264enc, and spells it as a gst-launch fragment
 * with low-latency settings and the conversion that encoder needs:
 *
 *   convert ! encoder ! capsfilter caps=video/x-h264,profile=...
 *
 * The conversion of the software encoders is vdidamageconvert (it converts
 * only the rectangles vdiwaylandsrc marks as changed), or videoconvert
 * where that element is not registered.
 *
 * Units are the same for every encoder: bitrate in kbit/s (openh264enc,
 * which counts bit/s, gets bitrate * 1000), keyframe interval in seconds
 * (turned into frames with the framerate), VBV/CPB in milliseconds of
 * bitrate (turned into each encoder's unit). See docs/encoders.md.
 *
 * Availability is a function so tests can inject a fake registry; the
 * default asks GStreamer's registry for every element the choice needs.
 */

#pragma once

#include <gst/gst.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace vdi::enc {

enum class Encoder { Nvh264, Vah264, X264, OpenH264 };

struct Settings {
  unsigned bitrate_kbps = 4000; /* kbit/s, every encoder */
  unsigned framerate = 30;      /* expected frames per second */
  /* Seconds between periodic keyframes; 0: keyframes on demand (long GOP,
   * with a safety keyframe every kOnDemandGopSeconds). HLS needs 1. */
  double keyframe_interval_s = 0;
  unsigned vbv_ms = 200; /* rate-control buffer, in ms of bitrate */
  /* Profile caps after the encoder; constrained-baseline plays in every
   * browser and every SRT/HLS player. */
  std::string profile = "constrained-baseline";
  unsigned threads = 0; /* 0: the encoder decides */
  /* Software encoders: convert with vdidamageconvert (only what changed,
   * libyuv) instead of videoconvert. choose() falls back to videoconvert
   * when vdidamageconvert is not registered (built without libyuv). */
  bool damage_convert = true;
};

constexpr unsigned kOnDemandGopSeconds = 10;

/* Returns true if a GStreamer element factory @name can be made here. */
using Availability = std::function<bool(const std::string &factory)>;

struct Choice {
  Encoder encoder = Encoder::X264;
  std::string factory; /* the encoder element */
  std::vector<std::string>
  requires;            /* every factory the fragment uses */
  std::string convert; /* raw video -> what the encoder takes */
  /* Scales what convert gives to a size cap after it ("" where convert
   * scales itself: vapostproc). */
  std::string scale;
  std::string encode;      /* the encoder with its properties */
  std::string caps;        /* capsfilter after the encoder (profile) */
  unsigned gop_frames = 0; /* frames between periodic keyframes */

  /* "convert ! encode ! caps", ready for gst_parse_launch. */
  std::string launch() const;
  /* "convert ! scale ! capsfilter name=@size ! encode ! caps": the same
   * with a size cap that may change while it runs (caps
   * "video/x-raw(ANY),width=W,height=H" on capsfilter @size; none: ANY,
   * and scale passes the frames through). */
  std::string launchScalable(const std::string &size) const;
};

/* nvh264enc, vah264enc, x264enc, openh264enc. */
const std::vector<Encoder> &defaultPreference();
const char *factoryName(Encoder e);
/* NVENC and VA-API: encoders that take a slot of limited hardware. */
bool isHardware(Encoder e);
/* The same by factory name (nvh264enc, vah264enc); false for unknown names. */
bool isHardwareFactory(const std::string &factory);
/* Accepts factory names and short names (nvenc, va, x264, openh264). */
std::optional<Encoder> parseEncoder(const std::string &name);

/* The fragment for @e with @settings, whether or not it exists here. */
Choice describe(Encoder e, const Settings &settings);

/* The registry of this process. Needs gst_init(). */
bool gstAvailable(const std::string &factory);

/* The first encoder of @preference whose elements are all available, or
 * nullopt with @why listing what was missing. A software encoder whose
 * only missing element is vdidamageconvert is taken with videoconvert. */
std::optional<Choice> choose(const Settings &settings, const Availability &available = gstAvailable,
                             const std::vector<Encoder> &preference = defaultPreference(),
                             std::string *why = nullptr);

/* A bin "convert ! encode ! caps" with ghost pads sink and src; the encoder
 * inside is named "encoder". nullptr and @error on failure. */
GstElement *makeBin(const Choice &choice, GError **error);

} // namespace vdi::enc
