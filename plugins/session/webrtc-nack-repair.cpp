/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "webrtc-nack-repair.h"

#include <algorithm>
#include <iterator>

namespace vdi::webrtc {

void RtxHistory::sent(uint16_t seq, uint32_t rtpTime)
{
  /* As rtprtxsend: append, then drop the oldest while there are too many
   * or the oldest is too far behind the newest in RTP time. */
  items_.push_back({seq, rtpTime});
  if (maxPackets_)
    while (items_.size() > maxPackets_)
      items_.pop_front();
  if (maxMs_ && clockRate_)
    while (items_.size() > 1 &&
           uint64_t(uint32_t(items_.back().rtpTime - items_.front().rtpTime)) * 1000 / clockRate_ >
             maxMs_)
      items_.pop_front();
}

bool RtxHistory::has(uint16_t seq) const
{
  return std::any_of(items_.begin(), items_.end(), [seq](const Item &i) { return i.seq == seq; });
}

std::optional<uint16_t> RtxHistory::newest() const
{
  if (items_.empty())
    return std::nullopt;
  return items_.back().seq;
}

void NackRepair::keyframeSent(uint16_t seq)
{
  keyframe_ = seq;
  requestedMs_ = -1; /* served (or made moot by a keyframe of its own) */
}

bool NackRepair::unanswered(uint16_t seq, int64_t nowMs)
{
  if (keyframe_ && seqBefore(seq, *keyframe_))
    return false;
  if (requestedMs_ >= 0 && nowMs - requestedMs_ < kPendingMs)
    return false;
  requestedMs_ = nowMs;
  return true;
}

void NackRepair::resent(uint16_t seq, int64_t nowMs)
{
  for (auto it = resentMs_.begin(); it != resentMs_.end();)
    it = nowMs - it->second > kResentGraceMs ? resentMs_.erase(it) : std::next(it);
  resentMs_[seq] = nowMs;
}

bool NackRepair::refused(uint16_t seq, int64_t nowMs)
{
  auto it = resentMs_.find(seq);
  if (it != resentMs_.end() && nowMs - it->second <= kResentGraceMs)
    return false;
  return unanswered(seq, nowMs);
}

} // namespace vdi::webrtc
