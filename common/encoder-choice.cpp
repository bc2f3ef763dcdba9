/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "encoder-choice.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace vdi::enc {

namespace {
constexpr const char *kDamageConvert = "vdidamageconvert";
}

const std::vector<Encoder> &defaultPreference()
{
  static const std::vector<Encoder> order = {Encoder::Nvh264, Encoder::Vah264, Encoder::X264,
                                             Encoder::OpenH264};
  return order;
}

const char *factoryName(Encoder e)
{
  switch (e) {
  case Encoder::Nvh264:
    return "nvh264enc";
  case Encoder::Vah264:
    return "vah264enc";
  case Encoder::X264:
    return "x264enc";
  case Encoder::OpenH264:
    return "openh264enc";
  }
  return "x264enc";
}

bool isHardware(Encoder e)
{
  return e == Encoder::Nvh264 || e == Encoder::Vah264;
}

bool isHardwareFactory(const std::string &factory)
{
  auto e = parseEncoder(factory);
  return e && isHardware(*e);
}

std::optional<Encoder> parseEncoder(const std::string &name)
{
  if (name == "nvh264enc" || name == "nvenc" || name == "nvidia")
    return Encoder::Nvh264;
  if (name == "vah264enc" || name == "va" || name == "vaapi")
    return Encoder::Vah264;
  if (name == "x264enc" || name == "x264")
    return Encoder::X264;
  if (name == "openh264enc" || name == "openh264")
    return Encoder::OpenH264;
  return std::nullopt;
}

std::string Choice::launch() const
{
  return convert + " ! " + encode + " ! " + caps;
}

std::string Choice::launchScalable(const std::string &size) const
{
  return convert + " ! " + (scale.empty() ? "" : scale + " ! ") + "capsfilter name=" + size +
         " ! " + encode + " ! " + caps;
}

Choice describe(Encoder e, const Settings &s)
{
  Choice c;
  c.encoder = e;
  c.factory = factoryName(e);
  unsigned fps = std::max(1u, s.framerate);
  double interval = s.keyframe_interval_s > 0 ? s.keyframe_interval_s : kOnDemandGopSeconds;
  c.gop_frames = std::max(1u, static_cast<unsigned>(std::lround(interval * fps)));
  unsigned kbps = std::max(1u, s.bitrate_kbps);
  /* VBV/CPB in kbit: bitrate (kbit/s) * ms / 1000. */
  unsigned vbv_kbit = std::max(1u, kbps * s.vbv_ms / 1000);
  const char *convert = s.damage_convert ? kDamageConvert : "videoconvert";
  std::ostringstream enc;

  switch (e) {
  case Encoder::Nvh264:
    /* NVENC: upload to CUDA memory and convert there; CBR, no B-frames,
     * zero-latency mode, low-latency preset. */
    c.requires
    = {"cudaupload", "cudaconvert", "cudascale", "nvh264enc"};
    c.convert = "cudaupload ! cudaconvert ! video/x-raw(memory:CUDAMemory),format=NV12";
    c.scale = "cudascale";
    enc << "nvh264enc name=encoder preset=low-latency-hq rc-mode=cbr zerolatency=true bframes=0"
        << " bitrate=" << kbps << " vbv-buffer-size=" << vbv_kbit << " gop-size=" << c.gop_frames
        << " aud=false";
    break;
  case Encoder::Vah264:
    /* VA-API: scale/convert on the GPU with vapostproc; CBR, no B-frames,
     * fastest target usage. */
    c.requires
    = {"vapostproc", "vah264enc"};
    c.convert = "vapostproc ! video/x-raw(memory:VAMemory),format=NV12";
    enc << "vah264enc name=encoder rate-control=cbr b-frames=0 target-usage=7"
        << " bitrate=" << kbps << " cpb-size=" << vbv_kbit << " key-int-max=" << c.gop_frames
        << " aud=false";
    break;
  case Encoder::X264:
    /* x264: zerolatency tune (no lookahead, no B-frames, sliced threads),
     * ultrafast preset for the CPU budget, VBV in ms. */
    c.requires
    = {convert, "x264enc"};
    c.convert = std::string(convert) + " ! video/x-raw,format=I420";
    c.scale = "videoscale";
    enc << "x264enc name=encoder tune=zerolatency speed-preset=ultrafast bframes=0 b-adapt=false"
        << " sliced-threads=true bitrate=" << kbps << " vbv-buf-capacity=" << s.vbv_ms
        << " key-int-max=" << c.gop_frames;
    if (s.threads)
      enc << " threads=" << s.threads;
    break;
  case Encoder::OpenH264:
    /* OpenH264: screen-content mode, bitrate in bit/s, no frame skipping
     * (a skipped frame would be a frozen desktop). */
    c.requires
    = {convert, "openh264enc"};
    c.convert = std::string(convert) + " ! video/x-raw,format=I420";
    c.scale = "videoscale";
    enc << "openh264enc name=encoder usage-type=screen rate-control=bitrate complexity=low"
        << " enable-frame-skip=false bitrate=" << kbps * 1000u << " max-bitrate=" << kbps * 1000u
        << " gop-size=" << c.gop_frames;
    if (s.threads)
      enc << " multi-thread=" << s.threads;
    break;
  }
  c.encode = enc.str();
  c.caps = "capsfilter caps=video/x-h264,profile=" +
           (e == Encoder::OpenH264 ? std::string("constrained-baseline") : s.profile);
  return c;
}

bool gstAvailable(const std::string &factory)
{
  GstElementFactory *f = gst_element_factory_find(factory.c_str());
  if (!f)
    return false;
  gst_object_unref(f);
  return true;
}

std::optional<Choice> choose(const Settings &settings, const Availability &available,
                             const std::vector<Encoder> &preference, std::string *why)
{
  std::string missing;
  for (Encoder e : preference) {
    Choice c = describe(e, settings);
    std::vector<std::string> absent;
    for (const std::string &f : c.requires)
      if (!available(f))
        absent.push_back(f);
    if (std::find(absent.begin(), absent.end(), kDamageConvert) != absent.end()) {
      Settings plain = settings;
      plain.damage_convert = false;
      c = describe(e, plain);
      absent.clear();
      for (const std::string &f : c.requires)
        if (!available(f))
          absent.push_back(f);
    }
    if (absent.empty())
      return c;
    missing += std::string(missing.empty() ? "" : "; ") + c.factory + ": missing";
    for (const std::string &f : absent)
      missing += " " + f;
  }
  if (why)
    *why = missing.empty() ? "no encoder in the preference list" : missing;
  return std::nullopt;
}

GstElement *makeBin(const Choice &choice, GError **error)
{
  return gst_parse_bin_from_description(choice.launch().c_str(), TRUE, error);
}

} // namespace vdi::enc
