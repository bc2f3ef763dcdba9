/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdi-encoder: prints the gst-launch fragment of the H.264 encoder this
 * machine should use (see encoder-choice.h), for the pipelines/ recipes:
 *
 *   ENC=$(vdi-encoder --bitrate 4000 --fps 30 --keyframe-interval 1)
 *   gst-launch-1.0 vdiwaylandsrc ! $ENC ! h264parse ! ...
 *
 *   --encoder NAME   only consider NAME (nvh264enc, vah264enc, x264enc, openh264enc)
 *   --list           print every encoder with "available" or what it lacks
 *
 * Exit status 1 (and a reason on stderr) when no encoder is usable.
 */

#include "encoder-choice.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace vdi::enc;

static int usage()
{
  fprintf(stderr, "usage: vdi-encoder [--bitrate KBPS] [--fps N] [--keyframe-interval SECONDS]\n"
                  "                   [--vbv MS] [--profile P] [--encoder NAME] [--list]\n");
  return 2;
}

int main(int argc, char **argv)
{
  gst_init(&argc, &argv);
  Settings s;
  std::vector<Encoder> preference = defaultPreference();
  bool list = false;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto next = [&]() -> const char * { return i + 1 < argc ? argv[++i] : nullptr; };
    auto number = [&](double *out) {
      const char *v = next();
      char *end = nullptr;
      if (!v)
        return false;
      *out = strtod(v, &end);
      return *end == '\0' && *out >= 0;
    };
    double d = 0;
    if (a == "--bitrate" && number(&d) && d >= 1) {
      s.bitrate_kbps = static_cast<unsigned>(d);
    } else if (a == "--fps" && number(&d) && d >= 1) {
      s.framerate = static_cast<unsigned>(d);
    } else if (a == "--keyframe-interval" && number(&d)) {
      s.keyframe_interval_s = d;
    } else if (a == "--vbv" && number(&d)) {
      s.vbv_ms = static_cast<unsigned>(d);
    } else if (a == "--profile" && i + 1 < argc) {
      s.profile = argv[++i];
    } else if (a == "--encoder" && i + 1 < argc) {
      auto e = parseEncoder(argv[++i]);
      if (!e) {
        fprintf(stderr, "vdi-encoder: unknown encoder \"%s\"\n", argv[i]);
        return 2;
      }
      preference = {*e};
    } else if (a == "--list") {
      list = true;
    } else {
      return usage();
    }
  }
  if (list) {
    for (Encoder e : defaultPreference()) {
      std::string why;
      auto c = choose(s, gstAvailable, {e}, &why);
      printf("%-12s %s\n", factoryName(e), c ? "available" : why.c_str());
    }
    return 0;
  }
  std::string why;
  auto c = choose(s, gstAvailable, preference, &why);
  if (!c) {
    fprintf(stderr, "vdi-encoder: no usable H.264 encoder (%s)\n", why.c_str());
    return 1;
  }
  printf("%s\n", c->launch().c_str());
  return 0;
}
