/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* OwnedProbe (tests/common/owned-probe.h): the state of a probe removed
 * while a streaming thread is inside it lives until that call returns. */

#include "owned-probe.h"

#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

using namespace vdi::test;
using namespace std::chrono_literals;

namespace {

/* A source pad linked to a sink pad that drops what it gets, ready for
 * buffers. */
struct LinkedPads {
  GstPad *src = gst_pad_new("src", GST_PAD_SRC);
  GstPad *sink = gst_pad_new("sink", GST_PAD_SINK);
  LinkedPads()
  {
    gst_pad_set_chain_function(sink, [](GstPad *, GstObject *, GstBuffer *b) {
      gst_buffer_unref(b);
      return GST_FLOW_OK;
    });
    REQUIRE(gst_pad_link(src, sink) == GST_PAD_LINK_OK);
    gst_pad_set_active(sink, TRUE);
    gst_pad_set_active(src, TRUE);
    GstSegment segment;
    gst_segment_init(&segment, GST_FORMAT_TIME);
    gst_pad_push_event(src, gst_event_new_stream_start("owned-probe"));
    gst_pad_push_event(src, gst_event_new_segment(&segment));
  }
  ~LinkedPads()
  {
    gst_pad_set_active(src, FALSE);
    gst_pad_set_active(sink, FALSE);
    gst_object_unref(src);
    gst_object_unref(sink);
  }
  GstFlowReturn push() { return gst_pad_push(src, gst_buffer_new()); }
};

/* Counts its calls and says, when it is destroyed, how many there were. */
struct Calls {
  int calls = 0;
  int *countAtEnd = nullptr;
  ~Calls()
  {
    if (countAtEnd)
      *countAtEnd = calls;
  }
};

/* Holds a streaming thread inside the probe until released. */
struct Gate {
  std::mutex lock;
  std::condition_variable changed;
  bool entered = false, released = false;
};

} // namespace

TEST_CASE("a probe removed during its call keeps its state until the call returns", "[probe]")
{
  LinkedPads pads;
  Gate gate;
  int countAtEnd = -1;
  auto state = std::make_shared<Calls>();
  state->countAtEnd = &countAtEnd;
  auto probe = std::make_unique<OwnedProbe<Calls>>(
    pads.src, GST_PAD_PROBE_TYPE_BUFFER,
    [&gate](GstPadProbeInfo *, Calls &c) {
      std::unique_lock<std::mutex> l(gate.lock);
      gate.entered = true;
      gate.changed.notify_all();
      gate.changed.wait(l, [&] { return gate.released; });
      c.calls++; /* after the owner removed the probe */
      return GST_PAD_PROBE_OK;
    },
    state);
  std::weak_ptr<Calls> weak = state;
  state.reset();

  std::thread streaming([&] { pads.push(); });
  {
    std::unique_lock<std::mutex> l(gate.lock);
    REQUIRE(gate.changed.wait_for(l, 5s, [&] { return gate.entered; }));
  }
  probe.reset(); /* removed while the streaming thread is inside it */
  CHECK_FALSE(weak.expired());
  CHECK(countAtEnd == -1);
  {
    std::lock_guard<std::mutex> l(gate.lock);
    gate.released = true;
  }
  gate.changed.notify_all();
  streaming.join();
  /* GStreamer let go of the hook once the call returned. */
  CHECK(weak.expired());
  CHECK(countAtEnd == 1);
}

TEST_CASE("a removed probe is not called again", "[probe]")
{
  LinkedPads pads;
  auto probe = std::make_unique<OwnedProbe<Calls>>(pads.src, GST_PAD_PROBE_TYPE_BUFFER,
                                                   [](GstPadProbeInfo *, Calls &c) {
                                                     c.calls++;
                                                     return GST_PAD_PROBE_OK;
                                                   });
  REQUIRE(pads.push() == GST_FLOW_OK);
  std::shared_ptr<Calls> kept = probe->state();
  CHECK(kept->calls == 1);
  CHECK((**probe).calls == 1);
  probe.reset();
  REQUIRE(pads.push() == GST_FLOW_OK);
  CHECK(kept->calls == 1);
  CHECK(kept.use_count() == 1); /* the pad's hook is gone */
}

TEST_CASE("a probe's return value reaches the pad", "[probe]")
{
  LinkedPads pads;
  static int chained;
  chained = 0;
  gst_pad_set_chain_function(pads.sink, [](GstPad *, GstObject *, GstBuffer *b) {
    chained++;
    gst_buffer_unref(b);
    return GST_FLOW_OK;
  });
  REQUIRE(pads.push() == GST_FLOW_OK);
  REQUIRE(chained == 1);
  OwnedProbe<Calls> drop(pads.src, GST_PAD_PROBE_TYPE_BUFFER,
                         [](GstPadProbeInfo *, Calls &) { return GST_PAD_PROBE_DROP; });
  REQUIRE(pads.push() == GST_FLOW_OK);
  CHECK(chained == 1);
}
