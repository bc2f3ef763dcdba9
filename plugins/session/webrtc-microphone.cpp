/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "webrtc-microphone.h"

#include <cstring>

GST_DEBUG_CATEGORY_EXTERN(gst_vdi_webrtc_sink_debug);
#define GST_CAT_DEFAULT gst_vdi_webrtc_sink_debug

namespace vdi::webrtc {

/* ---- one received stream ------------------------------------------------------------ */

namespace {

constexpr const char *kPrefix = "mic-";

struct Stream {
  std::shared_ptr<MicrophoneState> m;
  bool opus = false;   /* the stream's caps are Opus audio */
  bool warned = false; /* said once why it is dropped */
};

void freeStream(gpointer data)
{
  delete static_cast<Stream *>(data);
}

bool isOpusAudio(GstCaps *caps)
{
  if (!caps || gst_caps_is_empty(caps))
    return false;
  const GstStructure *s = gst_caps_get_structure(caps, 0);
  const char *media = gst_structure_get_string(s, "media");
  const char *enc = gst_structure_get_string(s, "encoding-name");
  return gst_structure_has_name(s, "application/x-rtp") && media && !strcmp(media, "audio") &&
         enc && !g_ascii_strcasecmp(enc, "OPUS");
}

void warnOnce(Stream *st, const char *why)
{
  if (st->warned)
    return;
  st->warned = true;
  GST_WARNING_OBJECT(st->m->owner, "viewer %s: microphone packets dropped: %s",
                     st->m->viewerId.c_str(), why);
}

/* Whether the packets now arriving are heard; says why not, once. */
bool hear(Stream *st)
{
  MicrophoneState &m = *st->m;
  if (m.sinkDescription.empty()) {
    warnOnce(st, "the element has no microphone-sink");
    return false;
  }
  if (!m.allowed) {
    warnOnce(st, "the viewer is view-only");
    return false;
  }
  if (!st->opus) {
    warnOnce(st, "not an Opus audio stream");
    return false;
  }
  if (m.broken)
    return false;
  bool changed = false;
  bool heard = m.floor->admit(m.viewerId, g_get_monotonic_time() / 1000, &changed);
  if (changed)
    GST_INFO_OBJECT(m.owner, "viewer %s: its microphone is heard", m.viewerId.c_str());
  return heard;
}

GstPadProbeReturn onPacket(GstPad *, GstPadProbeInfo *info, gpointer data)
{
  auto *st = static_cast<Stream *>(data);
  if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
    if (GST_EVENT_TYPE(ev) != GST_EVENT_CAPS)
      return GST_PAD_PROBE_OK;
    GstCaps *caps = nullptr;
    gst_event_parse_caps(ev, &caps);
    st->opus = isOpusAudio(caps);
    st->warned = false;
    /* Wrong caps never reach the depayloader (it would fail to negotiate). */
    return st->opus ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
  }
  guint n = 1;
  if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    n = gst_buffer_list_length(GST_PAD_PROBE_INFO_BUFFER_LIST(info));
  if (hear(st)) {
    st->m->heard += n;
    return GST_PAD_PROBE_OK;
  }
  st->m->dropped += n;
  return GST_PAD_PROBE_DROP;
}

GstElement *add(GstBin *bin, const char *factory)
{
  GstElement *e = gst_element_factory_make(factory, nullptr);
  if (e)
    gst_bin_add(bin, e);
  return e;
}

/* `queue ! rtpopusdepay ! opusdec ! audioconvert ! audioresample ! SINK` in
 * a bin with a ghost sink pad, or null (and why). */
GstElement *buildDecoder(const MicrophoneState &m, unsigned n, std::string *why)
{
  std::string name = kPrefix + std::to_string(n);
  GstBin *bin = GST_BIN(gst_bin_new(name.c_str()));
  GstElement *queue = add(bin, "queue");
  GstElement *depay = add(bin, "rtpopusdepay");
  GstElement *dec = add(bin, "opusdec");
  GstElement *conv = add(bin, "audioconvert");
  GstElement *res = add(bin, "audioresample");
  g_autoptr(GError) err = nullptr;
  GstElement *sink = gst_parse_bin_from_description_full(
    m.sinkDescription.c_str(), TRUE, nullptr, GST_PARSE_FLAG_NO_SINGLE_ELEMENT_BINS, &err);
  if (!queue || !depay || !dec || !conv || !res || !sink) {
    *why = sink ? "an element of the Opus decoder is missing (gstreamer1.0-plugins-base/-good)"
                : std::string("microphone-sink: ") + (err ? err->message : "cannot be built");
    if (sink)
      gst_object_unref(gst_object_ref_sink(sink));
    gst_object_unref(gst_object_ref_sink(bin));
    return nullptr;
  }
  gst_bin_add(bin, sink);
  /* Leaky: a sink that blocks must not hold webrtcbin's receive thread. */
  g_object_set(queue, "max-size-buffers", 0u, "max-size-bytes", 0u, "max-size-time",
               guint64(200 * GST_MSECOND), "leaky", 2 /* downstream */, nullptr);
  /* Played as it arrives (the jitter buffer already paced it): the
   * browser's timestamps jump each time the microphone is turned on. The
   * sink joins a playing pipeline: no preroll, no clock of its own. */
  GstIterator *it = gst_bin_iterate_recurse(bin);
  GValue v = G_VALUE_INIT;
  while (gst_iterator_next(it, &v) == GST_ITERATOR_OK) {
    GstElement *e = GST_ELEMENT(g_value_get_object(&v));
    if (!GST_IS_BIN(e) && GST_OBJECT_FLAG_IS_SET(e, GST_ELEMENT_FLAG_SINK))
      for (const char *p : {"sync", "async", "provide-clock"})
        if (g_object_class_find_property(G_OBJECT_GET_CLASS(e), p))
          g_object_set(e, p, FALSE, nullptr);
    g_value_reset(&v);
  }
  g_value_unset(&v);
  gst_iterator_free(it);
  if (!gst_element_link_many(queue, depay, dec, conv, res, sink, nullptr)) {
    *why = "microphone-sink does not take raw audio";
    gst_object_unref(gst_object_ref_sink(bin));
    return nullptr;
  }
  g_autoptr(GstPad) target = gst_element_get_static_pad(queue, "sink");
  gst_element_add_pad(GST_ELEMENT(bin), gst_ghost_pad_new("sink", target));
  return GST_ELEMENT(bin);
}

} // namespace

void attachMicrophone(GstBin *viewerBin, GstPad *pad, const std::shared_ptr<MicrophoneState> &m)
{
  unsigned n = m->streams++;
  std::string why;
  GstElement *chain = nullptr;
  if (m->sinkDescription.empty())
    why = "the element has no microphone-sink";
  else if (!m->allowed)
    why = "the viewer is view-only";
  else
    chain = buildDecoder(*m, n, &why);
  if (!chain) {
    /* Refused: a fakesink takes whatever comes (the probe drops it anyway). */
    GST_WARNING_OBJECT(m->owner, "viewer %s: its microphone is refused: %s", m->viewerId.c_str(),
                       why.c_str());
    std::string name = std::string(kPrefix) + "refused-" + std::to_string(n);
    chain = gst_element_factory_make("fakesink", name.c_str());
    if (!chain)
      return;
    g_object_set(chain, "sync", FALSE, "async", FALSE, nullptr);
  } else {
    GST_INFO_OBJECT(m->owner, "viewer %s: decoding its microphone into '%s'", m->viewerId.c_str(),
                    m->sinkDescription.c_str());
  }
  g_object_set_data_full(
    G_OBJECT(chain), kPrefix, new std::shared_ptr<MicrophoneState>(m),
    [](gpointer p) { delete static_cast<std::shared_ptr<MicrophoneState> *>(p); });
  auto *st = new Stream();
  st->m = m;
  gst_pad_add_probe(pad,
                    GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST |
                                    GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
                    onPacket, st, freeStream);
  gst_bin_add(viewerBin, chain);
  g_autoptr(GstPad) sink = gst_element_get_static_pad(chain, "sink");
  if (gst_pad_link(pad, sink) != GST_PAD_LINK_OK)
    GST_WARNING_OBJECT(m->owner, "viewer %s: cannot link its microphone stream",
                       m->viewerId.c_str());
  gst_element_sync_state_with_parent(chain);
}

bool microphoneError(GstObject *object)
{
  GstObject *o = GST_OBJECT(gst_object_ref(object));
  while (o && !(GST_OBJECT_NAME(o) && g_str_has_prefix(GST_OBJECT_NAME(o), kPrefix))) {
    GstObject *parent = gst_object_get_parent(o);
    gst_object_unref(o);
    o = parent;
  }
  if (!o)
    return false;
  auto *m =
    static_cast<std::shared_ptr<MicrophoneState> *>(g_object_get_data(G_OBJECT(o), kPrefix));
  if (m && !(*m)->broken.exchange(true))
    GST_WARNING_OBJECT((*m)->owner, "viewer %s: its microphone failed (%s); dropping it",
                       (*m)->viewerId.c_str(), GST_OBJECT_NAME(object));
  gst_object_unref(o);
  return true;
}

} // namespace vdi::webrtc
