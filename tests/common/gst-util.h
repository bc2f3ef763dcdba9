/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Small RAII and waiting helpers for tests that drive GStreamer. */

#pragma once

#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

namespace vdi::test {

struct HarnessDeleter {
  void operator()(GstHarness *h) const { gst_harness_teardown(h); }
};
using HarnessPtr = std::unique_ptr<GstHarness, HarnessDeleter>;

struct BufferDeleter {
  void operator()(GstBuffer *b) const { gst_buffer_unref(b); }
};
using Buffer = std::unique_ptr<GstBuffer, BufferDeleter>;

inline int64_t monotonicMs()
{
  return g_get_monotonic_time() / 1000;
}

/* The next buffer the harness received, waiting at most @timeout. */
inline Buffer pullWithin(GstHarness *h, std::chrono::milliseconds timeout)
{
  int64_t deadline = monotonicMs() + timeout.count();
  while (true) {
    if (GstBuffer *b = gst_harness_try_pull(h))
      return Buffer(b);
    if (monotonicMs() >= deadline)
      return nullptr;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

/* Drops everything the harness holds now. */
inline void drain(GstHarness *h)
{
  while (GstBuffer *b = gst_harness_try_pull(h))
    gst_buffer_unref(b);
}

/* The first error message on @bus within @timeout, as "message | debug". */
inline std::string waitForError(GstBus *bus, std::chrono::milliseconds timeout)
{
  GstMessage *msg = gst_bus_timed_pop_filtered(
    bus, static_cast<GstClockTime>(timeout.count()) * GST_MSECOND, GST_MESSAGE_ERROR);
  if (!msg)
    return "";
  GError *err = nullptr;
  gchar *debug = nullptr;
  gst_message_parse_error(msg, &err, &debug);
  std::string out = err->message;
  if (debug)
    out += std::string(" | ") + debug;
  g_error_free(err);
  g_free(debug);
  gst_message_unref(msg);
  return out;
}

/* Reads the BGRx/BGRA pixel at (x, y) of a buffer with a GstVideoMeta. */
inline uint32_t pixelAt(GstBuffer *buf, int x, int y)
{
  GstVideoMeta *meta = gst_buffer_get_video_meta(buf);
  GstMapInfo map;
  gst_buffer_map(buf, &map, GST_MAP_READ);
  const uint8_t *p = map.data + meta->offset[0] + static_cast<size_t>(y) * meta->stride[0] +
                     static_cast<size_t>(x) * 4;
  /* As 0xRRGGBB from B, G, R in memory. */
  uint32_t v = (uint32_t(p[2]) << 16) | (uint32_t(p[1]) << 8) | p[0];
  gst_buffer_unmap(buf, &map);
  return v;
}

} // namespace vdi::test
