/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "webrtc-keyframes.h"

#include <glib.h>

namespace vdi::webrtc {

void KeyframePolicy::setMinInterval(unsigned ms)
{
  std::lock_guard<std::mutex> l(lock_);
  intervalMs_ = ms;
}

void KeyframePolicy::request()
{
  int64_t now = g_get_monotonic_time() / 1000;
  int64_t wait;
  {
    std::lock_guard<std::mutex> l(lock_);
    wait = lastMs_ + intervalMs_ - now;
    if (wait > 0) {
      if (pending_)
        return; /* already served at the end of the interval */
      pending_ = true;
    } else {
      lastMs_ = now;
    }
  }
  if (wait > 0) {
    later_(unsigned(wait), [this] {
      {
        std::lock_guard<std::mutex> l(lock_);
        pending_ = false;
      }
      request();
    });
    return;
  }
  send_();
}

} // namespace vdi::webrtc
