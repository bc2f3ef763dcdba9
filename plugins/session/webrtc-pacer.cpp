/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "webrtc-pacer.h"

#include "webrtc-pacing.h"

#include <chrono>
#include <condition_variable>
#include <mutex>

GST_DEBUG_CATEGORY_EXTERN(gst_vdi_webrtc_sink_debug);
#define GST_CAT_DEFAULT gst_vdi_webrtc_sink_debug

namespace {

struct PacerState {
  std::mutex lock;
  std::condition_variable wake; /* flushing */
  vdi::webrtc::PacingSchedule schedule;
  bool flushing = true; /* until PAUSED */
  unsigned kbps = 0;
  bool bottleneck = false;
};

int64_t nowUs()
{
  return std::chrono::duration_cast<std::chrono::microseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

} // namespace

G_BEGIN_DECLS
#define VDI_TYPE_RTP_PACER (vdi_rtp_pacer_get_type())
G_DECLARE_FINAL_TYPE(VdiRtpPacer, vdi_rtp_pacer, VDI, RTP_PACER, GstElement)
G_END_DECLS

struct _VdiRtpPacer {
  GstElement parent;
  GstPad *sink, *src;
  PacerState *state;
};

G_DEFINE_TYPE(VdiRtpPacer, vdi_rtp_pacer, GST_TYPE_ELEMENT)

static GstStaticPadTemplate sinkTemplate = GST_STATIC_PAD_TEMPLATE(
  "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS("application/x-rtp"));
static GstStaticPadTemplate srcTemplate =
  GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS("application/x-rtp"));

/* Waits until @atUs unless flushing; false when flushing. */
static bool waitUntil(PacerState *st, int64_t atUs)
{
  std::unique_lock<std::mutex> l(st->lock);
  auto deadline = std::chrono::steady_clock::time_point(std::chrono::microseconds(atUs));
  st->wake.wait_until(l, deadline, [st] { return st->flushing; });
  return !st->flushing;
}

/* When @buf may go; -1 when flushing. */
static int64_t departure(PacerState *st, GstBuffer *buf, int64_t now)
{
  std::lock_guard<std::mutex> l(st->lock);
  if (st->flushing)
    return -1;
  return st->schedule.departure(gst_buffer_get_size(buf), now);
}

static GstFlowReturn pacerChain(GstPad *, GstObject *parent, GstBuffer *buf)
{
  auto *self = VDI_RTP_PACER(parent);
  int64_t now = nowUs();
  int64_t at = departure(self->state, buf, now);
  if (at < 0 || (at > now && !waitUntil(self->state, at))) {
    gst_buffer_unref(buf);
    return GST_FLOW_FLUSHING;
  }
  return gst_pad_push(self->src, buf);
}

/* A frame's packets come as one list: what is due goes on together, the
 * rest after its wait. */
static GstFlowReturn pacerChainList(GstPad *, GstObject *parent, GstBufferList *list)
{
  auto *self = VDI_RTP_PACER(parent);
  PacerState *st = self->state;
  bool flushing, pacing;
  {
    std::lock_guard<std::mutex> l(st->lock);
    flushing = st->flushing;
    pacing = st->schedule.rateKbps() > 0;
  }
  if (flushing) {
    gst_buffer_list_unref(list);
    return GST_FLOW_FLUSHING;
  }
  if (!pacing)
    return gst_pad_push_list(self->src, list); /* as it came */
  GstBufferList *due = gst_buffer_list_new();
  GstFlowReturn ret = GST_FLOW_OK;
  guint n = gst_buffer_list_length(list);
  for (guint i = 0; i < n && ret == GST_FLOW_OK; i++) {
    GstBuffer *buf = gst_buffer_list_get(list, i);
    int64_t now = nowUs();
    int64_t at = departure(st, buf, now);
    if (at > now && gst_buffer_list_length(due) > 0) {
      ret = gst_pad_push_list(self->src, due);
      due = gst_buffer_list_new();
    }
    if (at < 0 || (ret == GST_FLOW_OK && at > now && !waitUntil(st, at)))
      ret = GST_FLOW_FLUSHING;
    if (ret == GST_FLOW_OK)
      gst_buffer_list_add(due, gst_buffer_ref(buf));
  }
  if (ret == GST_FLOW_OK && gst_buffer_list_length(due) > 0)
    ret = gst_pad_push_list(self->src, due);
  else
    gst_buffer_list_unref(due);
  gst_buffer_list_unref(list);
  return ret;
}

static void setFlushing(PacerState *st, bool flushing)
{
  {
    std::lock_guard<std::mutex> l(st->lock);
    st->flushing = flushing;
    if (!flushing)
      st->schedule.reset();
  }
  st->wake.notify_all();
}

static gboolean pacerSinkEvent(GstPad *pad, GstObject *parent, GstEvent *event)
{
  auto *self = VDI_RTP_PACER(parent);
  if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_START)
    setFlushing(self->state, true);
  else if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP)
    setFlushing(self->state, false);
  return gst_pad_event_default(pad, parent, event);
}

static GstStateChangeReturn pacerChangeState(GstElement *element, GstStateChange transition)
{
  auto *self = VDI_RTP_PACER(element);
  /* A wait must end before the pads deactivate: they take the stream lock
   * the waiting thread holds. */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    setFlushing(self->state, true);
  else if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    setFlushing(self->state, false);
  return GST_ELEMENT_CLASS(vdi_rtp_pacer_parent_class)->change_state(element, transition);
}

static void vdi_rtp_pacer_init(VdiRtpPacer *self)
{
  self->state = new PacerState();
  self->sink = gst_pad_new_from_static_template(&sinkTemplate, "sink");
  gst_pad_set_chain_function(self->sink, pacerChain);
  gst_pad_set_chain_list_function(self->sink, pacerChainList);
  gst_pad_set_event_function(self->sink, pacerSinkEvent);
  GST_PAD_SET_PROXY_CAPS(self->sink);
  GST_PAD_SET_PROXY_ALLOCATION(self->sink);
  GST_PAD_SET_PROXY_SCHEDULING(self->sink);
  gst_element_add_pad(GST_ELEMENT(self), self->sink);
  self->src = gst_pad_new_from_static_template(&srcTemplate, "src");
  GST_PAD_SET_PROXY_CAPS(self->src);
  GST_PAD_SET_PROXY_ALLOCATION(self->src);
  GST_PAD_SET_PROXY_SCHEDULING(self->src);
  gst_element_add_pad(GST_ELEMENT(self), self->src);
}

static void vdi_rtp_pacer_finalize(GObject *object)
{
  delete VDI_RTP_PACER(object)->state;
  G_OBJECT_CLASS(vdi_rtp_pacer_parent_class)->finalize(object);
}

static void vdi_rtp_pacer_class_init(VdiRtpPacerClass *klass)
{
  G_OBJECT_CLASS(klass)->finalize = vdi_rtp_pacer_finalize;
  auto *ec = GST_ELEMENT_CLASS(klass);
  ec->change_state = pacerChangeState;
  gst_element_class_add_static_pad_template(ec, &sinkTemplate);
  gst_element_class_add_static_pad_template(ec, &srcTemplate);
  gst_element_class_set_static_metadata(ec, "vdiwebrtcsink RTP pacer", "Filter/Network/RTP",
                                        "Spreads a viewer's RTP packets once a bottleneck is found",
                                        "gst-vdi developers");
}

namespace vdi::webrtc {

GstElement *makePacer(const char *name)
{
  return GST_ELEMENT(g_object_new(VDI_TYPE_RTP_PACER, "name", name, nullptr));
}

void setPacerEstimate(GstElement *pacer, unsigned kbps, bool bottleneck)
{
  PacerState *st = VDI_RTP_PACER(pacer)->state;
  bool changed;
  {
    std::lock_guard<std::mutex> l(st->lock);
    changed = bottleneck != st->bottleneck;
    st->kbps = kbps;
    st->bottleneck = bottleneck;
    st->schedule.setEstimate(kbps, bottleneck);
  }
  if (changed)
    GST_INFO_OBJECT(pacer, "%s (estimate %u kbit/s)",
                    bottleneck ? "bottleneck found: pacing" : "no bottleneck: not pacing", kbps);
}

} // namespace vdi::webrtc
