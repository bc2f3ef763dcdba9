/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdi-bench-pipeline: runs a gst-launch style pipeline whose last element is
 * named "sink", waits --warmup seconds, then counts the buffers reaching the
 * sink during --seconds (and their bytes) and the process's CPU time over
 * that same window. Prints one JSON line:
 * {"frames":N,"bytes":B,"seconds":S,"fps":F,"cpu":C} where cpu is the
 * fraction of one core (user + system) used by the whole process.
 *
 *   vdi-bench-pipeline --warmup 2 --seconds 8 "vdiwaylandsrc ! fakesink name=sink"
 */

#include <gst/gst.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/resource.h>
#include <thread>

namespace {

std::atomic<uint64_t> g_frames{0};
std::atomic<uint64_t> g_bytes{0};

double cpuSeconds()
{
  rusage ru = {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

GstPadProbeReturn countBuffer(GstPad *, GstPadProbeInfo *info, gpointer)
{
  if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
    g_frames += gst_buffer_list_length(list);
    g_bytes += gst_buffer_list_calculate_size(list);
  } else {
    g_frames++;
    g_bytes += gst_buffer_get_size(GST_PAD_PROBE_INFO_BUFFER(info));
  }
  return GST_PAD_PROBE_OK;
}

} // namespace

int main(int argc, char **argv)
{
  gst_init(&argc, &argv);
  double warmup = 2, seconds = 8;
  std::string desc;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--warmup") && i + 1 < argc)
      warmup = atof(argv[++i]);
    else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
      seconds = atof(argv[++i]);
    else
      desc = argv[i];
  }
  if (desc.empty()) {
    fprintf(stderr, "usage: %s [--warmup S] [--seconds S] PIPELINE-WITH-sink\n", argv[0]);
    return 2;
  }

  GError *err = nullptr;
  GstElement *pipeline = gst_parse_launch(desc.c_str(), &err);
  if (!pipeline) {
    fprintf(stderr, "bad pipeline: %s\n", err->message);
    return 2;
  }
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  if (!sink) {
    fprintf(stderr, "the pipeline needs an element named sink\n");
    return 2;
  }
  GstPad *pad = gst_element_get_static_pad(sink, "sink");
  gst_pad_add_probe(
    pad, static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
    countBuffer, nullptr, nullptr);
  gst_object_unref(pad);
  gst_object_unref(sink);

  if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    fprintf(stderr, "pipeline failed to start\n");
    return 1;
  }
  GstBus *bus = gst_element_get_bus(pipeline);
  auto waitOrFail = [bus](double s) {
    GstMessage *msg =
      gst_bus_timed_pop_filtered(bus, static_cast<GstClockTime>(s * GST_SECOND),
                                 static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
    if (msg) {
      if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
        GError *e = nullptr;
        gst_message_parse_error(msg, &e, nullptr);
        fprintf(stderr, "error: %s\n", e->message);
      } else {
        fprintf(stderr, "unexpected EOS\n");
      }
      exit(1);
    }
  };
  waitOrFail(warmup);
  uint64_t f0 = g_frames, b0 = g_bytes;
  double c0 = cpuSeconds();
  auto t0 = std::chrono::steady_clock::now();
  waitOrFail(seconds);
  uint64_t f1 = g_frames, b1 = g_bytes;
  double c1 = cpuSeconds();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  printf("{\"frames\":%llu,\"bytes\":%llu,\"seconds\":%.3f,\"fps\":%.2f,\"cpu\":%.4f}\n",
         static_cast<unsigned long long>(f1 - f0), static_cast<unsigned long long>(b1 - b0), wall,
         (f1 - f0) / wall, (c1 - c0) / wall);
  fflush(stdout);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
  return 0;
}
