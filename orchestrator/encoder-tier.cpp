/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "encoder-tier.h"

namespace vdid {

bool isHardwareEncoder(const std::string &factory)
{
  return factory == "nvh264enc" || factory == "vah264enc";
}

unsigned hardwareSessions(const std::vector<EncoderUse> &live)
{
  unsigned n = 0;
  for (const auto &use : live)
    if (isHardwareEncoder(use.encoder) || (use.encoder.empty() && !use.software_only))
      n++;
  return n;
}

bool mustUseSoftware(unsigned cap, const std::vector<EncoderUse> &live)
{
  return hardwareSessions(live) >= cap;
}

} // namespace vdid
