/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "tee-branch.h"

#include <atomic>
#include <vector>

namespace vdi {

TeeBranch::TeeBranch()
{
  g_weak_ref_init(&parent_, nullptr);
}

std::unique_ptr<TeeBranch> TeeBranch::attach(GstElement *branch, const std::vector<Input> &inputs,
                                             std::string *error)
{
  std::unique_ptr<TeeBranch> b(new TeeBranch());
  b->bin_ = GST_ELEMENT(gst_object_ref_sink(branch));
  if (inputs.empty()) {
    *error = "a branch needs at least one tee";
    return nullptr;
  }
  GstObject *parent = gst_object_get_parent(GST_OBJECT(inputs[0].tee));
  if (!parent || !GST_IS_BIN(parent)) {
    if (parent)
      gst_object_unref(parent);
    *error = "the tee is not in a bin";
    return nullptr;
  }
  if (!gst_bin_add(GST_BIN(parent), b->bin_)) {
    gst_object_unref(parent);
    *error = std::string("could not add ") + GST_OBJECT_NAME(b->bin_) + " to the pipeline";
    return nullptr;
  }
  g_weak_ref_set(&b->parent_, parent);
  gst_object_unref(parent);
  /* Playing before data can reach it, then linked. */
  if (!gst_element_sync_state_with_parent(b->bin_)) {
    *error = std::string("could not start ") + GST_OBJECT_NAME(b->bin_);
    return nullptr; /* the destructor takes it out again */
  }
  for (const Input &in : inputs) {
    GstPad *teePad = gst_element_request_pad_simple(in.tee, "src_%u");
    if (!teePad) {
      *error = std::string("no new pad on ") + GST_OBJECT_NAME(in.tee);
      return nullptr;
    }
    auto alive = std::make_unique<GWeakRef>();
    g_weak_ref_init(alive.get(), in.tee);
    b->links_.push_back({in.tee, std::move(alive), teePad});
    g_autoptr(GstPad) sink = gst_element_get_static_pad(b->bin_, in.pad.c_str());
    if (!sink || gst_pad_link(teePad, sink) != GST_PAD_LINK_OK) {
      *error = std::string("could not link ") + GST_OBJECT_NAME(in.tee) + " to " +
               GST_OBJECT_NAME(b->bin_) + ":" + in.pad;
      return nullptr;
    }
  }
  return b;
}

void TeeBranch::sendStickyEvents(GstElement *tee) const
{
  GstPad *pad = teePad(tee);
  g_autoptr(GstPad) peer = pad ? gst_pad_get_peer(pad) : nullptr;
  g_autoptr(GstPad) in = gst_element_get_static_pad(tee, "sink");
  if (!peer || !in)
    return;
  /* Copied out first: the foreach holds the tee's pad lock, and the
   * branch may query upstream through the tee while it takes an event. */
  std::vector<GstEvent *> events;
  gst_pad_sticky_events_foreach(
    in,
    [](GstPad *, GstEvent **event, gpointer data) -> gboolean {
      if (GST_EVENT_TYPE(*event) != GST_EVENT_EOS)
        static_cast<std::vector<GstEvent *> *>(data)->push_back(gst_event_ref(*event));
      return TRUE;
    },
    &events);
  for (GstEvent *e : events)
    gst_pad_send_event(peer, e);
}

GstPad *TeeBranch::teePad(GstElement *tee) const
{
  for (const Link &l : links_)
    if (l.tee == tee)
      return l.teePad;
  return nullptr;
}

namespace {

struct Removal {
  std::unique_ptr<TeeBranch> branch;
  TeeBranch::Defer defer;
  std::atomic<int> left{0};
};

void finish(const std::shared_ptr<Removal> &r)
{
  if (--r->left > 0)
    return;
  if (r->defer) {
    r->defer([r] { r->branch.reset(); });
  } else {
    r->branch.reset();
  }
}

GstPadProbeReturn onIdle(GstPad *pad, GstPadProbeInfo *, gpointer data)
{
  auto &r = *static_cast<std::shared_ptr<Removal> *>(data);
  if (GstPad *peer = gst_pad_get_peer(pad)) {
    gst_pad_unlink(pad, peer);
    gst_object_unref(peer);
  }
  finish(r);
  return GST_PAD_PROBE_REMOVE;
}

} // namespace

void TeeBranch::detach(std::unique_ptr<TeeBranch> branch, Defer defer)
{
  if (!branch)
    return;
  auto r = std::make_shared<Removal>();
  std::vector<GstPad *> pads;
  for (const Link &l : branch->links_)
    pads.push_back(l.teePad);
  r->branch = std::move(branch);
  r->defer = std::move(defer);
  r->left = int(pads.size()) + 1;
  for (GstPad *p : pads)
    gst_pad_add_probe(p, GST_PAD_PROBE_TYPE_IDLE, onIdle, new std::shared_ptr<Removal>(r),
                      [](gpointer d) { delete static_cast<std::shared_ptr<Removal> *>(d); });
  finish(r); /* our own count: the probes may all have run already */
}

TeeBranch::~TeeBranch()
{
  for (Link &l : links_) {
    if (GstPad *peer = gst_pad_get_peer(l.teePad)) {
      gst_pad_unlink(l.teePad, peer);
      gst_object_unref(peer);
    }
    /* A tee that is gone took its request pads with it. */
    if (auto *tee = static_cast<GstElement *>(g_weak_ref_get(l.alive.get()))) {
      gst_element_release_request_pad(tee, l.teePad);
      gst_object_unref(tee);
    }
    g_weak_ref_clear(l.alive.get());
    gst_object_unref(l.teePad);
  }
  if (bin_) {
    gst_element_set_locked_state(bin_, TRUE);
    gst_element_set_state(bin_, GST_STATE_NULL);
    /* Still where we put it: a pipeline that went first already let go of
     * its children. */
    auto *parent = static_cast<GstBin *>(g_weak_ref_get(&parent_));
    if (parent && gst_object_has_as_parent(GST_OBJECT(bin_), GST_OBJECT(parent)))
      gst_bin_remove(parent, bin_);
    if (parent)
      gst_object_unref(parent);
    gst_object_unref(bin_);
  }
  g_weak_ref_clear(&parent_);
}

} // namespace vdi
