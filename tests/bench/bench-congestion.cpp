/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Congestion control under link steps and random loss, side by side:
 * vdiwebrtcsink with congestion-control=delay (TWCC, the default) and
 * =loss (receiver reports only, the round-1 adaptation), each in the same
 * run on the same link: Chromium in a network namespace behind a veth pair
 * whose server-to-viewer direction goes through `tc tbf` (100 ms of queue)
 * and a user-space relay that drops frames at random (ShapedLink
 * Path::Relay). Phases of PHASE seconds: 8 -> 2 -> 8 Mbit/s, then the
 * bucket lifted and 1 % of the frames towards the viewer dropped. 640x360
 * noise with a square in its centre that flips on each key press, x264 up
 * to 6 Mbit/s (so the 8 Mbit/s phases have room); the page keeps pressing keys and timing the flips
 * (webrtc-latency.mjs). Every second it samples the element's stats of the
 * viewer: sent bitrate (RTP incl. retransmissions), target, frames handed
 * to the payloader, RTCP round trip; prints the series and, per phase,
 * medians, input-to-photon median/p95 and the time the target took to go
 * below 2 Mbit/s / back above 5 Mbit/s.
 *
 *   meson devenv -C BUILD ./tests/bench/bench-congestion [PHASE] [ROUNDS] [delay|loss|both]
 *   (default 15 1 both). A freeze is a press whose flip never showed within
 *   3 s; the p95 "with them" counts each as 3 s.
 *
 * Needs root (network namespaces, a tap device), ethtool, Chromium and
 * playwright-core.
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

struct Press {
  double t = 0; /* seconds since the first phase began */
  double latencyMs = -1;
  int phase = 0;
};

struct Phase {
  const char *name;
  unsigned kbits;
  double drop;
};
const Phase kPhases[] = {{"8 Mbit/s", 8000, 0},
                         {"2 Mbit/s", 2000, 0},
                         {"8 Mbit/s again", 8000, 0},
                         {"open, 1% drop", 0, 0.01}};
constexpr int kPhaseCount = int(sizeof kPhases / sizeof kPhases[0]);

double pct(std::vector<double> v, double p)
{
  if (v.empty())
    return -1;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, size_t(p * v.size()))];
}

/* One mode through the phases; false if it could not run. */
bool run(const char *mode, int phase_s, std::vector<Sample> *out, std::vector<Press> *presses)
{
  ShapedLink link(ShapedLink::Path::Relay);
  if (!link.ok())
    return false;
  std::string error;
  GstElement *pipeline = vdi::test::noisePipeline(
    link.hostAddress(), 6000,
    std::string("min-bitrate=300 max-bitrate=6000 congestion-control=") + mode, VDI_WEB_DIR, &error,
    true);
  if (!pipeline) {
    fprintf(stderr, "pipeline: %s\n", error.c_str());
    return false;
  }
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  std::string base = vdi::test::playerUrl(pipeline, link.hostAddress());
  link.shape(kPhases[0].kbits);
  Process page(link.run(
    {"node", std::string(VDI_SOURCE_DIR) + "/tests/bench/webrtc-latency.mjs", base, "100000"}));
  bool ok = false;
  /* Playing once the page times its first press. */
  while (auto l = page.readLine(60s)) {
    vdi::test::PressResult p;
    if ((ok = vdi::test::parsePressLine(*l, &p)))
      break;
    if (l->rfind("done ", 0) == 0 || l->rfind("skip ", 0) == 0) {
      fprintf(stderr, "page: %s\n", l->c_str());
      break;
    }
  }
  if (ok) {
    auto t0 = std::chrono::steady_clock::now();
    double t0Ms = g_get_real_time() / 1000.0;
    auto since = [&] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    for (int p = 0; p < kPhaseCount; p++) {
      link.shape(kPhases[p].kbits);
      link.dropRandomly(kPhases[p].drop);
      double end = (p + 1) * phase_s, nextSample = since() + 1;
      while (since() < end) {
        /* The element refreshes its stats every second. */
        if (since() >= nextSample) {
          nextSample += 1;
          for (const auto &r : vdi::test::viewerStatsRows(sink))
            out->push_back({since(), r, p});
        }
        vdi::test::PressResult press;
        auto l = page.readLine(100ms);
        if (l && vdi::test::parsePressLine(*l, &press) && press.sentMs >= t0Ms)
          presses->push_back({(press.sentMs - t0Ms) / 1000, press.latencyMs, p});
      }
    }
    auto c = link.relayCounts();
    printf("%s relay: %llu frames towards the viewer, %llu dropped (%.2f %%)\n", mode,
           (unsigned long long)c.forwarded, (unsigned long long)c.dropped,
           100.0 * c.dropped / std::max<uint64_t>(1, c.forwarded + c.dropped));
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
  return ok;
}

void summary(const char *mode, const std::vector<Sample> &v, const std::vector<Press> &presses,
             int phase_s)
{
  for (int p = 0; p < kPhaseCount; p++) {
    std::vector<double> sent, fps, rtt, i2p, withFreezes;
    double first = p * phase_s, converged = -1;
    int misses = 0, freezes = 0;
    for (const auto &s : v) {
      if (s.phase != p)
        continue;
      bool reached =
        kPhases[p].kbits < 8000 ? s.row.targetKbps < kPhases[p].kbits : s.row.targetKbps >= 6000;
      if (reached && converged < 0)
        converged = s.t - first;
      /* Medians over the settled part of the phase. */
      if (s.t - first > phase_s / 3.0) {
        sent.push_back(s.row.sentKbps);
        fps.push_back(s.row.fps);
        rtt.push_back(s.row.rttMs);
      }
    }
    for (const auto &k : presses) {
      if (k.phase != p)
        continue;
      /* A freeze: a press whose flip never showed within 3 s, anywhere in
       * the phase (the step itself included). */
      freezes += k.latencyMs < 0;
      if (k.t - first > phase_s / 3.0) {
        if (k.latencyMs < 0)
          misses++;
        else
          i2p.push_back(k.latencyMs);
        withFreezes.push_back(k.latencyMs < 0 ? 3000 : k.latencyMs);
      }
    }
    printf("%-6s %-17s sent %6.0f kbit/s  fps %4.1f  rtt median %5.1f ms  input-to-photon "
           "median %5.1f ms p95 %5.1f ms (n %zu, %d missed; p95 %5.1f ms with them as 3 s)  "
           "freezes %d  target %s in %s\n",
           mode, kPhases[p].name, pct(sent, 0.5), pct(fps, 0.5), pct(rtt, 0.5), pct(i2p, 0.5),
           pct(i2p, 0.95), i2p.size(), misses, pct(withFreezes, 0.95), freezes,
           kPhases[p].kbits < 8000 ? "< link" : ">= 6 Mbit/s",
           converged < 0 ? "never" : (std::to_string(int(converged)) + " s").c_str());
  }
}

} // namespace

int main(int argc, char **argv)
{
  gst_init(&argc, &argv);
  int phase_s = argc > 1 ? atoi(argv[1]) : 15;
  int rounds = argc > 2 ? atoi(argv[2]) : 1;
  std::string why = ShapedLink::unavailableReason(ShapedLink::Path::Relay);
  if (!why.empty()) {
    printf("skip: %s\n", why.c_str());
    return 77;
  }
  /* Which modes, e.g. "delay" (default both): an A/B run of two builds
   * alternates processes with their own GST_PLUGIN_PATH. */
  std::vector<std::string> modes = {"delay", "loss"};
  if (argc > 3)
    modes = {argv[3]};
  if (modes[0] == "both")
    modes = {"delay", "loss"};
  for (int r = 0; r < rounds; r++)
    for (const std::string &m : modes) {
      const char *mode = m.c_str();
      std::vector<Sample> v;
      std::vector<Press> presses;
      if (!run(mode, phase_s, &v, &presses)) {
        printf("%s: could not run (Chromium, playwright-core?)\n", mode);
        return 1;
      }
      for (const auto &s : v)
        printf("series %s t=%5.1f phase=%d sent=%6.0f target=%5.0f fps=%4.1f rtt=%6.1f\n", mode,
               s.t, s.phase, s.row.sentKbps, s.row.targetKbps, s.row.fps, s.row.rttMs);
      for (const auto &k : presses)
        printf("press %s t=%5.1f phase=%d latency=%6.1f\n", mode, k.t, k.phase, k.latencyMs);
      summary(mode, v, presses, phase_s);
      fflush(stdout);
    }
  return 0;
}
