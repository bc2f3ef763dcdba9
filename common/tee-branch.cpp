/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "tee-branch.h"

#include <atomic>

namespace vdi {

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
  b->parent_ = GST_BIN(parent);
  if (!gst_bin_add(b->parent_, b->bin_)) {
    b->parent_ = nullptr;
    gst_object_unref(parent);
    *error = std::string("could not add ") + GST_OBJECT_NAME(b->bin_) + " to the pipeline";
    return nullptr;
  }
  gst_object_unref(parent); /* the bin's parent keeps it */
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
    b->links_.push_back({in.tee, teePad});
    g_autoptr(GstPad) sink = gst_element_get_static_pad(b->bin_, in.pad.c_str());
    if (!sink || gst_pad_link(teePad, sink) != GST_PAD_LINK_OK) {
      *error = std::string("could not link ") + GST_OBJECT_NAME(in.tee) + " to " +
               GST_OBJECT_NAME(b->bin_) + ":" + in.pad;
      return nullptr;
    }
  }
  return b;
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
  for (const Link &l : links_) {
    if (GstPad *peer = gst_pad_get_peer(l.teePad)) {
      gst_pad_unlink(l.teePad, peer);
      gst_object_unref(peer);
    }
    gst_element_release_request_pad(l.tee, l.teePad);
    gst_object_unref(l.teePad);
  }
  if (bin_) {
    gst_element_set_locked_state(bin_, TRUE);
    gst_element_set_state(bin_, GST_STATE_NULL);
    if (parent_)
      gst_bin_remove(parent_, bin_);
    gst_object_unref(bin_);
  }
}

} // namespace vdi
