/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The custom events the project's elements exchange, named once.
 *
 * `vdi-repaint` (custom upstream) asks a damage-driven source
 * (vdiwaylandsrc) to push its current frame again now. Encoders swallow
 * force-key-unit events, so an element that sits behind an encoder and wants
 * a keyframe for a new viewer sends both: requestKeyframe() does that.
 */

#pragma once

#include <gst/gst.h>

namespace vdi {

inline constexpr const char kRepaintEvent[] = "vdi-repaint";

/* A new vdi-repaint event. */
GstEvent *newRepaintEvent();

/* True for an upstream force-key-unit or a vdi-repaint: both mean "push the
 * current picture again". */
bool isRepaintRequest(GstEvent *event);

/* Asks upstream of @pad for a keyframe now: an upstream force-key-unit
 * (all headers) for the encoder and vdi-repaint for the source. @pad may be
 * a sink pad (events are pushed out of it) or a source pad (events are sent
 * into it). */
void requestKeyframe(GstPad *pad);

} // namespace vdi
