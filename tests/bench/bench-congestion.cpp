/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Congestion control under link steps, side by side: vdiwebrtcsink with
 * congestion-control=delay (TWCC, the default) and =loss (receiver
 * reports only, the round-1 adaptation), each in the same run on the same
 * shaped link: Chromium in a network namespace behind a veth pair whose
 * server-to-viewer direction goes through `tc tbf` at 8 -> 2 -> 8 Mbit/s
 * (PHASE seconds each; 100 ms of queue). 640x360 noise, x264 up to
 * 8 Mbit/s. Every second it samples the element's stats of the viewer:
 * sent bitrate (RTP incl. retransmissions), target, frames handed to the
 * payloader, RTCP round trip; prints the series and, per phase, medians,
 * the RTT p95 and the time the target took to go below 2 Mbit/s / back
 * above 6 Mbit/s.
 *
 *   meson devenv -C BUILD ./tests/bench/bench-congestion [PHASE] [ROUNDS]   (default 15 1)
 *
 * Needs root (network namespaces), Chromium and playwright-core.
 */

#include "shaped-link.h"
#include "sway-session.h"
#include "webrtcsink-stats.h"

#include <gst/gst.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using vdi::test::Process;
using vdi::test::ShapedLink;

namespace {

struct Sample {
  double t = 0;
  vdi::test::ViewerStatsRow row;
  int phase = 0;
};

double pct(std::vector<double> v, double p)
{
  if (v.empty())
    return -1;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, size_t(p * v.size()))];
}

/* One mode through the three phases; false if it could not run. */
bool run(const char *mode, int phase_s, std::vector<Sample> *out)
{
  ShapedLink link;
  if (!link.ok())
    return false;
  std::string error;
  GstElement *pipeline = vdi::test::noisePipeline(
    link.hostAddress(), 8000,
    std::string("min-bitrate=300 max-bitrate=8000 congestion-control=") + mode, VDI_WEB_DIR,
    &error);
  if (!pipeline) {
    fprintf(stderr, "pipeline: %s\n", error.c_str());
    return false;
  }
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  std::string base = vdi::test::playerUrl(pipeline, link.hostAddress());
  link.shape(8000);
  Process browser(link.run(
    {"node", std::string(VDI_SOURCE_DIR) + "/tests/browser/webrtc.mjs", "viewers", base, "1"}));
  bool ok = browser.waitFor("result ", 60s).has_value();
  if (ok) {
    auto t0 = std::chrono::steady_clock::now();
    const unsigned rates[] = {8000, 2000, 8000};
    for (int p = 0; p < 3; p++) {
      link.shape(rates[p]);
      for (int s = 0; s < phase_s; s++) {
        std::this_thread::sleep_for(1s); /* the element refreshes its stats every second */
        double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        for (const auto &r : vdi::test::viewerStatsRows(sink))
          out->push_back({t, r, p});
      }
    }
    browser.send("done");
    browser.wait(10s);
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
  return ok;
}

void summary(const char *mode, const std::vector<Sample> &v, int phase_s)
{
  const char *names[] = {"8 Mbit/s", "2 Mbit/s", "8 Mbit/s again"};
  for (int p = 0; p < 3; p++) {
    std::vector<double> sent, fps, rtt;
    double first = -1, converged = -1;
    for (const auto &s : v) {
      if (s.phase != p)
        continue;
      if (first < 0)
        first = s.t - 1;
      bool reached = p == 1 ? s.row.targetKbps < 2000 : s.row.targetKbps >= 6000;
      if (reached && converged < 0)
        converged = s.t - first;
      /* Medians over the settled part of the phase. */
      if (s.t - first > phase_s / 3.0) {
        sent.push_back(s.row.sentKbps);
        fps.push_back(s.row.fps);
        rtt.push_back(s.row.rttMs);
      }
    }
    printf("%-6s %-15s sent %6.0f kbit/s  fps %4.1f  rtt median %5.1f ms p95 %5.1f ms  "
           "target %s in %s\n",
           mode, names[p], pct(sent, 0.5), pct(fps, 0.5), pct(rtt, 0.5), pct(rtt, 0.95),
           p == 1 ? "< 2 Mbit/s" : ">= 6 Mbit/s",
           converged < 0 ? "never" : (std::to_string(int(converged)) + " s").c_str());
  }
}

} // namespace

int main(int argc, char **argv)
{
  gst_init(&argc, &argv);
  int phase_s = argc > 1 ? atoi(argv[1]) : 15;
  int rounds = argc > 2 ? atoi(argv[2]) : 1;
  std::string why = ShapedLink::unavailableReason();
  if (!why.empty()) {
    printf("skip: %s\n", why.c_str());
    return 77;
  }
  for (int r = 0; r < rounds; r++)
    for (const char *mode : {"delay", "loss"}) {
      std::vector<Sample> v;
      if (!run(mode, phase_s, &v)) {
        printf("%s: could not run (Chromium, playwright-core?)\n", mode);
        return 1;
      }
      for (const auto &s : v)
        printf("series %s t=%5.1f phase=%d sent=%6.0f target=%5.0f fps=%4.1f rtt=%6.1f\n", mode,
               s.t, s.phase, s.row.sentKbps, s.row.targetKbps, s.row.fps, s.row.rttMs);
      summary(mode, v, phase_s);
      fflush(stdout);
    }
  return 0;
}
