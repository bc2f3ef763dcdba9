/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The encoder tier cap (`[encoders] max-hardware-sessions`): hardware
 * encoders (NVENC, VA-API) have few sessions to give, so vdid counts the
 * live sessions that use one and starts further workers with
 * `--software-only` (x264enc / openh264enc only, see common/encoder-choice.h).
 * Pure functions, so that the decision is unit-tested.
 */

#pragma once

#include <string>
#include <vector>

namespace vdid {

/* nvh264enc and vah264enc: the hardware tiers of common/encoder-choice. */
bool isHardwareEncoder(const std::string &factory);

/* A live (starting or running) session, as the cap sees it. */
struct EncoderUse {
  std::string encoder;        /* the worker's choice; "" while not known yet */
  bool software_only = false; /* started with --software-only */
};

/* A session whose worker has not said its encoder yet may still pick a
 * hardware one unless it was started software-only: it counts too, so that
 * sessions starting at the same time cannot exceed the cap. */
unsigned hardwareSessions(const std::vector<EncoderUse> &live);

/* True when a new worker must be started with --software-only: the live
 * sessions already use @cap hardware encoders (always, for cap 0). */
bool mustUseSoftware(unsigned cap, const std::vector<EncoderUse> &live);

} // namespace vdid
