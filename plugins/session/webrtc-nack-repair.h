/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * NACKs that cannot be answered. A NACK for a packet rtprtxsend no longer
 * has (its history is short, webrtc-rtx-budget.h) or whose retransmission
 * the budget refuses leaves a hole the browser's decoder cannot fill: the
 * picture freezes until the next keyframe, which with keyframes on demand
 * is the next PLI (Chromium sends one only after it gave up on the hole,
 * seconds later) or never. So an unanswerable NACK asks for a keyframe at
 * once: one request for all the unanswerable NACKs of that moment (the
 * NACKs of one hole come together, and the packets sent before the next
 * keyframe are all repaired by it). The request then goes through the
 * keyframe policy (webrtc-keyframes.h: at most one per interval).
 *
 * RtxHistory mirrors rtprtxsend's history of one stream (its
 * max-size-packets and max-size-time rules, on the same packets) so that
 * the NACK can be judged where it passes, before rtprtxsend looks it up.
 * Pure code: sequence numbers and RTP times as on the wire, times in ms.
 */

#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>

namespace vdi::webrtc {

/* True when RTP sequence number @a comes before @b (RFC 3550 wrap). */
inline bool seqBefore(uint16_t a, uint16_t b)
{
  return int16_t(uint16_t(a - b)) < 0;
}

class RtxHistory
{
public:
  /* rtprtxsend's max-size-packets and max-size-time (0: no limit), and the
   * stream's RTP clock rate. */
  RtxHistory(unsigned maxPackets, unsigned maxMs, unsigned clockRate)
    : maxPackets_(maxPackets), maxMs_(maxMs), clockRate_(clockRate)
  {
  }
  /* An original packet went through rtprtxsend, which keeps it. */
  void sent(uint16_t seq, uint32_t rtpTime);
  /* rtprtxsend can still resend @seq. */
  bool has(uint16_t seq) const;
  /* The newest packet sent, if any. */
  std::optional<uint16_t> newest() const;

private:
  struct Item {
    uint16_t seq;
    uint32_t rtpTime;
  };
  std::deque<Item> items_;
  unsigned maxPackets_, maxMs_, clockRate_;
};

class NackRepair
{
public:
  /* A request with no keyframe after it for this long is given up on, and
   * the next unanswerable NACK asks again (a keyframe lost in its turn). */
  static constexpr int64_t kPendingMs = 2000;

  /* A retransmission refused by the budget is no hole yet when one of the
   * same packet went out this recently: Chromium NACKs again before the
   * first could arrive, and each such repeat found the budget spent. */
  static constexpr int64_t kResentGraceMs = 250;

  /* A keyframe starts with packet @seq. */
  void keyframeSent(uint16_t seq);
  /* A NACK for @seq cannot be answered (@nowMs): whether to request a
   * keyframe now. Not for a packet older than the last keyframe (that
   * keyframe repairs it), nor while an earlier request is pending. */
  bool unanswered(uint16_t seq, int64_t nowMs);
  /* A retransmission of @seq went out (@nowMs). */
  void resent(uint16_t seq, int64_t nowMs);
  /* The budget refused a retransmission of @seq: as unanswered(), unless
   * one of it went out within kResentGraceMs. */
  bool refused(uint16_t seq, int64_t nowMs);

private:
  std::optional<uint16_t> keyframe_;
  int64_t requestedMs_ = -1;             /* the pending request, -1: none */
  std::map<uint16_t, int64_t> resentMs_; /* recent retransmissions */
};

} // namespace vdi::webrtc
