/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * SessionManager: moving running sessions between encode tiers by the CPU
 * they use against what their tier reserves (tier-ladder.h, nextTier),
 * without a reconnect of their viewers: the worker changes its frame-rate,
 * bitrate and size caps in place ("tier" command).
 */

#include "sessions.h"

#include "process-stats.h"

#include <algorithm>

namespace vdid {

void SessionManager::sendTier(Session &s)
{
  const Tier &tier = config_.tiers[s.tier];
  /* The stream of a desktop larger than the tier's size cap is scaled
   * down in the worker (the desktop keeps its size and its layout). */
  unsigned width = 0, height = 0;
  streamSize(tier, s.width, s.height, &width, &height);
  bool scaled = width != s.width || height != s.height;
  unsigned fps = s.fps, max_bitrate = tier.max_bitrate;
  workerCommand(s.id, "tier", [fps, max_bitrate, scaled, width, height](JsonBuilder *b) {
    json_builder_set_member_name(b, "fps");
    json_builder_add_int_value(b, fps);
    json_builder_set_member_name(b, "max-bitrate");
    json_builder_add_int_value(b, max_bitrate);
    if (scaled) {
      json_builder_set_member_name(b, "width");
      json_builder_add_int_value(b, width);
      json_builder_set_member_name(b, "height");
      json_builder_add_int_value(b, height);
    }
  });
}

void SessionManager::moveTier(Session &s, size_t tier_index, const std::string &reason)
{
  tier_moves_[tier_index > s.tier ? "down" : "up"]++;
  const Tier &tier = config_.tiers[tier_index];
  s.tier = tier_index;
  s.tier_reason = reason;
  s.reservation = {tier.cpu, config_.budget.session.memory};
  s.fps = tier.fps ? std::min(s.requested_fps, tier.fps) : s.requested_fps;
  g_message("session %s: tier \"%s\": %s", s.id.c_str(), tier.name.c_str(), reason.c_str());
  if (on_tier_changed)
    on_tier_changed(s);
  sendTier(s);
}

void SessionManager::checkTiers()
{
  gint64 now = g_get_monotonic_time();
  HostCpu host = hostCpu();
  double host_busy = host.total > host_cpu_mark_.total && host.busy >= host_cpu_mark_.busy
                       ? static_cast<double>(host.busy - host_cpu_mark_.busy) /
                           static_cast<double>(host.total - host_cpu_mark_.total)
                       : 0;
  host_cpu_mark_ = host;
  /* Sessions that stayed, for the host's own pressure (below). */
  std::vector<Session *> stayed;
  std::vector<HostCandidate> candidates;
  bool moved_down = false;
  for (auto &[id, s] : sessions_) {
    if (s->state != SessionState::Running || !s->workerReady() || s->in_pool)
      continue;
    double cpu = processUsage(pids(*s)).cpu_seconds;
    double elapsed = static_cast<double>(now - s->tier_mark_time) / G_USEC_PER_SEC;
    bool first = s->tier_mark_time == 0;
    double used = cpu - s->tier_cpu_mark;
    s->tier_cpu_mark = cpu;
    s->tier_mark_time = now;
    /* Its frames over the window: the mean time one took, the share of
     * the window spent coding them, how many a second. */
    double frame_ms = s->tier_coded_fps_sum > 0 ? s->tier_frame_ms_sum / s->tier_coded_fps_sum : 0;
    double busy = s->tier_reports ? s->tier_frame_ms_sum / 1000 / s->tier_reports : 0;
    double coded_fps = s->tier_reports ? s->tier_coded_fps_sum / s->tier_reports : 0;
    s->tier_frame_ms_sum = s->tier_coded_fps_sum = 0;
    s->tier_reports = 0;
    Cgroups::Throttling t = cgroups_->cpuThrottling(id);
    guint64 periods = t.periods - s->tier_periods_mark;
    double throttled =
      t.periods > s->tier_periods_mark && t.throttled >= s->tier_throttled_mark && periods
        ? static_cast<double>(t.throttled - s->tier_throttled_mark) / periods
        : 0;
    s->tier_periods_mark = t.periods;
    s->tier_throttled_mark = t.throttled;
    if (first || elapsed <= 0)
      continue;
    TierLoad load{used / elapsed, static_cast<unsigned>(elapsed + 0.5),
                  frame_ms,       s->requested_fps,
                  busy,           throttled,
                  host_busy,      coded_fps};
    TierMove move =
      nextTier(config_.tiers, s->tier, load, &s->calm_windows, config_.budget, reserved());
    if (move.tier == s->tier) {
      stayed.push_back(s.get());
      candidates.push_back({s->tier, load.cores, coded_fps, s->fps});
      continue;
    }
    moved_down = moved_down || move.tier > s->tier;
    moveTier(*s, move.tier, move.reason);
  }
  /* A host out of cores: one session a window, if none moved down by its
   * own measures already. */
  std::string reason;
  if (!moved_down)
    if (auto pick = hostPressurePick(config_.tiers, host_busy, candidates, &reason)) {
      Session &s = *stayed[*pick];
      s.calm_windows = 0;
      moveTier(s, s.tier + 1, reason);
    }
}

} // namespace vdid
