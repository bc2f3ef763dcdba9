/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdiwebrtcsink's bitrate control: per-viewer estimates from RTCP feedback
 * (BitrateController, webrtc-bitrate.h) applied to the one encoder
 * upstream, its `bitrate` property in kbit/s, when the weakest viewer's
 * estimate moved by 5 % or more. The encoder is the element's `encoder`
 * property, else the first element upstream of the video pad whose class
 * has "Encoder" and which has a `bitrate` property.
 *
 * Element thread only.
 */

#pragma once

#include "webrtc-bitrate.h"

#include <gst/gst.h>

#include <functional>
#include <string>

namespace vdi::webrtc {

class RateControl
{
public:
  /* @configured returns the `encoder` property (a new reference) or null. */
  RateControl(GstPad *videoPad, std::function<GstElement *()> configured)
    : videoPad_(videoPad), configured_(std::move(configured))
  {
  }

  void setLimits(unsigned minKbps, unsigned maxKbps);
  /* A new viewer starts at the encoder's bitrate now. */
  void addViewer(const std::string &id);
  void removeViewer(const std::string &id);
  /* One stats interval's feedback of a viewer, in the control role or
   * not; the viewer's new estimate (kbit/s). */
  unsigned update(const std::string &id, const Feedback &fb, bool control);
  /* A bottleneck was found on the viewer's path (BitrateController). */
  bool bottleneck(const std::string &id) const { return controller_.bottleneck(id); }
  /* Sets the target on the encoder when it moved enough. */
  void apply();

private:
  GstElement *findEncoder();
  unsigned encoderKbps();

  GstPad *videoPad_;
  std::function<GstElement *()> configured_;
  BitrateController controller_{300, 8000};
  unsigned maxKbps_ = 8000;
  unsigned appliedKbps_ = 0;
  unsigned viewers_ = 0;
};

} // namespace vdi::webrtc
