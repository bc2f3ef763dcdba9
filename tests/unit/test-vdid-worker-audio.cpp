/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The shape of the worker's sound chain (orchestrator/worker-audio.h), as
 * buildAudio() makes it with the real elements and vdiwebrtcsink: each
 * encoder must run on a thread of its own, so that a WebRTC audio path that
 * blocks cannot hold back the AAC of HLS and SRT (whose muxers then stall
 * the video too), nor the other way round. */

#include "test-util.h"
#include "worker-audio.h"

#include <gst/gst.h>

#include <string>
#include <vector>

namespace {

bool isAudioEncoder(GstElement *e)
{
  GstElementFactory *f = gst_element_get_factory(e);
  const char *klass = f ? gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_KLASS) : nullptr;
  return klass && strstr(klass, "Encoder") && strstr(klass, "Audio");
}

bool isA(GstElement *e, const char *factory)
{
  GstElementFactory *f = gst_element_get_factory(e);
  return f && g_strcmp0(GST_OBJECT_NAME(f), factory) == 0;
}

/* The elements from the nearest tee upstream of @e (excluded) down to @e
 * (excluded), following each element's one sink pad; empty if a chain
 * upstream has no tee. */
std::vector<GstElement *> branchAbove(GstElement *e, bool *reached_tee)
{
  std::vector<GstElement *> chain;
  *reached_tee = false;
  for (GstElement *cur = e;;) {
    g_autoptr(GstPad) sink = gst_element_get_static_pad(cur, "sink");
    if (!sink)
      return chain;
    g_autoptr(GstPad) peer = gst_pad_get_peer(sink);
    if (!peer)
      return chain;
    g_autoptr(GstElement) up = gst_pad_get_parent_element(peer);
    if (!up)
      return chain;
    if (isA(up, "tee")) {
      *reached_tee = true;
      return chain;
    }
    chain.push_back(up); /* the pipeline holds a reference */
    cur = up;
  }
}

} // namespace

TEST_CASE("each audio encoder runs behind a queue of its own", "[vdid][worker][sound]")
{
  g_autoptr(GstElement) pipeline = gst_pipeline_new("worker");
  GstElement *sink = gst_element_factory_make("vdiwebrtcsink", "sink");
  REQUIRE(sink);
  gst_bin_add(GST_BIN(pipeline), sink);
  vdid::worker::Audio audio;
  std::string error;
  bool built = vdid::worker::buildAudio(audio, pipeline, sink, "vdi-speaker.monitor", &error);
  INFO(error);
  REQUIRE(built);

  std::vector<GstElement *> encoders;
  g_autoptr(GstIterator) it = gst_bin_iterate_elements(GST_BIN(pipeline));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    auto *e = GST_ELEMENT(g_value_get_object(&item));
    if (isAudioEncoder(e))
      encoders.push_back(e);
    g_value_reset(&item);
  }
  g_value_unset(&item);
  /* Opus (WebRTC, WHEP) and AAC (HLS, SRT). */
  REQUIRE(encoders.size() == 2);

  std::vector<GstElement *> queues;
  for (GstElement *enc : encoders) {
    bool reached_tee;
    auto chain = branchAbove(enc, &reached_tee);
    INFO("encoder " << GST_OBJECT_NAME(enc));
    /* Fed by the capture's tee (not a chain of its own). */
    CHECK(reached_tee);
    GstElement *queue = nullptr;
    for (GstElement *e : chain)
      if (isA(e, "queue"))
        queue = e;
    REQUIRE(queue);
    /* Leaky: a branch that stops taking buffers drops its own audio
     * rather than blocking the tee. */
    gint leaky = 0;
    g_object_get(queue, "leaky", &leaky, nullptr);
    CHECK(leaky != 0);
    for (GstElement *q : queues)
      CHECK(q != queue);
    queues.push_back(queue);
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
}
