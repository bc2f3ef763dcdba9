/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdiwebrtcsink's keyframe policy: joins, PLIs and FIRs of every viewer ask
 * for a keyframe; at most one request goes upstream per minimum interval,
 * and a request inside the interval is served at its end, never dropped
 * (docs/webrtc.md, "Keyframe policy").
 */

#pragma once

#include <cstdint>
#include <functional>
#include <mutex>

namespace vdi::webrtc {

class KeyframePolicy
{
public:
  /* @send asks upstream for a keyframe now (any thread); @later runs a
   * function after some milliseconds on the element's thread. */
  using Send = std::function<void()>;
  using Later = std::function<void(unsigned ms, std::function<void()> fn)>;

  KeyframePolicy(Send send, Later later) : send_(std::move(send)), later_(std::move(later)) {}

  void setMinInterval(unsigned ms);
  /* A keyframe is wanted. Any thread. */
  void request();

private:
  Send send_;
  Later later_;
  std::mutex lock_;
  unsigned intervalMs_ = 500;
  int64_t lastMs_ = -1000000;
  bool pending_ = false;
};

} // namespace vdi::webrtc
