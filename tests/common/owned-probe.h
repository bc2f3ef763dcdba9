/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * A pad probe that owns what its callback uses.
 *
 * gst_pad_remove_probe() does not wait for a call of the probe that is
 * running on a streaming thread: it only marks the hook, and GStreamer drops
 * it (calling its GDestroyNotify) once that call returns. A probe given a
 * plain pointer to an object that is destroyed right after remove_probe can
 * so still run with it: a recorder destroyed while its pipeline still
 * streams, reduced to two pads and a probe held inside its call, is a
 * heap-use-after-free under AddressSanitizer. Here the callback's state is
 * a shared_ptr that the hook holds and frees with its destroy notify: it
 * lives while the owner or a running call uses it, and the probe is
 * removed when the owner goes.
 */

#pragma once

#include <gst/gst.h>

#include <functional>
#include <memory>
#include <utility>

namespace vdi::test {

template <typename State>
class OwnedProbe
{
public:
  using Callback = std::function<GstPadProbeReturn(GstPadProbeInfo *info, State &state)>;

  OwnedProbe(GstPad *pad, GstPadProbeType mask, Callback callback,
             std::shared_ptr<State> state = std::make_shared<State>())
    : pad_(GST_PAD(gst_object_ref(pad))), state_(std::move(state))
  {
    id_ = gst_pad_add_probe(pad_, mask, call, new Hook{std::move(callback), state_},
                            [](gpointer d) { delete static_cast<Hook *>(d); });
  }
  ~OwnedProbe()
  {
    if (id_)
      gst_pad_remove_probe(pad_, id_);
    gst_object_unref(pad_);
  }
  OwnedProbe(const OwnedProbe &) = delete;
  OwnedProbe &operator=(const OwnedProbe &) = delete;

  State &operator*() const { return *state_; }
  State *operator->() const { return state_.get(); }
  /* The state, for what must see it outlive the probe (tests of this). */
  std::shared_ptr<State> state() const { return state_; }

private:
  struct Hook {
    Callback callback;
    std::shared_ptr<State> state;
  };
  static GstPadProbeReturn call(GstPad *, GstPadProbeInfo *info, gpointer data)
  {
    auto *hook = static_cast<Hook *>(data);
    return hook->callback(info, *hook->state);
  }

  GstPad *pad_;
  std::shared_ptr<State> state_;
  gulong id_ = 0;
};

} // namespace vdi::test
