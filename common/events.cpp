/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "events.h"

#include <gst/video/video.h>

namespace vdi {

GstEvent *newRepaintEvent()
{
  return gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, gst_structure_new_empty(kRepaintEvent));
}

bool isRepaintRequest(GstEvent *event)
{
  return gst_video_event_is_force_key_unit(event) ||
         (GST_EVENT_TYPE(event) == GST_EVENT_CUSTOM_UPSTREAM &&
          gst_event_has_name(event, kRepaintEvent));
}

void requestKeyframe(GstPad *pad)
{
  /* Upstream events are sent into a source pad, pushed out of a sink pad. */
  auto send = GST_PAD_IS_SRC(pad) ? gst_pad_send_event : gst_pad_push_event;
  send(pad, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
  send(pad, newRepaintEvent());
}

} // namespace vdi
