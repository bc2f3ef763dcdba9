/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "tier-ladder.h"

#include <algorithm>

namespace vdid {

std::vector<Tier> defaultLadder(double cpu)
{
  return {{"full", 0, 0, 0, 0, cpu},
          {"half", 30, 0, 0, 4000, cpu * kHalfShare},
          {"low", 15, 1280, 720, 1500, cpu * kLowShare}};
}

namespace {

/* "1.25 x" */
std::string cores_x(double factor)
{
  char text[16];
  g_snprintf(text, sizeof text, "%g x", factor);
  return text;
}

Reservation reservationOn(const Tier &tier, const HostBudget &budget)
{
  return {tier.cpu, budget.session.memory};
}

} // namespace

std::optional<Placement> place(const std::vector<Tier> &ladder, const HostBudget &budget,
                               const Reservation &reserved, unsigned live, Refusal *refusal)
{
  if (!budget.any())
    return Placement{0, reservationOn(ladder[0], budget), "no [budget]: the top tier"};
  size_t tries = budget.downgrade ? ladder.size() : 1;
  Refusal top;
  for (size_t i = 0; i < tries; i++) {
    Reservation want = reservationOn(ladder[i], budget);
    Refusal r = admit(budget, reserved, live, want);
    if (!r) {
      std::string reason = i == 0
                             ? "the host had room for the top tier"
                             : "tier \"" + ladder[0].name + "\" did not fit (" + top.message + ")";
      return Placement{i, want, reason};
    }
    if (i == 0)
      top = r;
    *refusal = r;
  }
  if (tries > 1)
    refusal->message += "; not even on tier \"" + ladder[tries - 1].name + "\"";
  return std::nullopt;
}

void applyTier(const Tier &tier, unsigned *width, unsigned *height, unsigned *fps)
{
  if (tier.fps && *fps > tier.fps)
    *fps = tier.fps;
  if (!tier.max_width || !tier.max_height)
    return;
  double scale = std::min({1.0, static_cast<double>(tier.max_width) / *width,
                           static_cast<double>(tier.max_height) / *height});
  if (scale >= 1.0)
    return;
  /* Even sizes, as every session size is (and 4:2:0 needs). */
  *width = std::max(64u, static_cast<unsigned>(*width * scale) & ~1u);
  *height = std::max(64u, static_cast<unsigned>(*height * scale) & ~1u);
}

void streamSize(const Tier &tier, unsigned width, unsigned height, unsigned *stream_width,
                unsigned *stream_height)
{
  unsigned fps = 0;
  *stream_width = width;
  *stream_height = height;
  applyTier(tier, stream_width, stream_height, &fps);
}

namespace {

/* The frame rate a session asking @fps runs at on @tier. */
unsigned fpsOn(const Tier &tier, unsigned fps)
{
  return tier.fps ? std::min(tier.fps, fps) : fps;
}

/* The time a frame has at @fps, in ms; 0 when unknown. */
double frameBudgetMs(unsigned fps)
{
  return fps ? 1000.0 / fps : 0;
}

} // namespace

TierMove nextTier(const std::vector<Tier> &ladder, size_t tier, const TierLoad &load,
                  unsigned *calm, const HostBudget &budget, const Reservation &reserved)
{
  char used[64];
  g_snprintf(used, sizeof used, "%.3g cores over %u s", load.cores, load.window_s);
  const Tier &now = ladder[tier];
  bool bottom = tier + 1 >= ladder.size();
  if (!bottom && load.cores > kDownAbove * now.cpu) {
    *calm = 0;
    return {tier + 1, std::string("moved down: the session used ") + used + ", more than " +
                        cores_x(kDownAbove) + " the " + vdid::cores(now.cpu) + " reserved on \"" +
                        now.name + "\""};
  }
  if (!bottom && load.throttled >= kThrottledDown) {
    *calm = 0;
    char why[160];
    g_snprintf(why, sizeof why,
               "moved down: its cpu-limit held it back in %.0f %% of the scheduler's periods over "
               "%u s",
               load.throttled * 100, load.window_s);
    return {tier + 1, why};
  }
  unsigned fps = fpsOn(now, load.fps);
  double budget_ms = frameBudgetMs(fps);
  if (!bottom && load.frame_ms > 0 && budget_ms > 0 && load.frame_ms > kFrameBusy * budget_ms &&
      load.busy >= kCodingBusy) {
    *calm = 0;
    char why[224];
    g_snprintf(why, sizeof why,
               "moved down: a frame took %.3g ms to code, more than %.3g x the %.3g ms a frame "
               "has at %u fps on \"%s\", and coding took %.0f %% of the time",
               load.frame_ms, kFrameBusy, budget_ms, fps, now.name.c_str(),
               /* Frames overlap in the pipeline (one converted while the
                * one before is coded): the share can pass 1; a window
                * has no more than all of its time. */
               std::min(load.busy, 1.0) * 100);
    return {tier + 1, why};
  }
  /* Up only if its frames would not move it down again there: they fit
   * the higher tier's frame time with room, or coding them at the higher
   * tier's rate would still leave the encoder mostly idle. */
  unsigned up_fps = tier ? fpsOn(ladder[tier - 1], load.fps) : 0;
  double up_budget_ms = frameBudgetMs(up_fps);
  double up_busy = fps ? load.busy * up_fps / fps : load.busy;
  bool frames_too_slow = load.frame_ms > 0 && up_budget_ms > 0 &&
                         load.frame_ms >= kUpBelow * up_budget_ms &&
                         up_busy >= kUpBelow * kCodingBusy;
  if (tier == 0 || load.cores >= kUpBelow * ladder[tier - 1].cpu || frames_too_slow ||
      load.throttled >= kUpBelow * kThrottledDown ||
      (load.host_busy >= kHostSaturated && load.coded_fps >= 0.5 * fps)) {
    *calm = 0;
    return {tier, ""};
  }
  const Tier &up = ladder[tier - 1];
  Reservation others = reserved;
  others.cpu -= now.cpu;
  if (++*calm < kCalmWindows || admit(budget, others, 0, {up.cpu, budget.session.memory}))
    return {tier, ""};
  *calm = 0;
  return {tier - 1, std::string("moved up: the session used ") + used + ", less than " +
                      cores_x(kUpBelow) + " the " + vdid::cores(up.cpu) + " \"" + up.name +
                      "\" reserves, " + std::to_string(kCalmWindows) + " windows in a row"};
}

std::optional<size_t> hostPressurePick(const std::vector<Tier> &ladder, double host_busy,
                                       const std::vector<HostCandidate> &candidates,
                                       std::string *reason)
{
  if (host_busy < kHostSaturated)
    return std::nullopt;
  std::optional<size_t> pick;
  for (size_t i = 0; i < candidates.size(); i++) {
    const HostCandidate &c = candidates[i];
    if (c.tier + 1 >= ladder.size() || !c.tier_fps || c.coded_fps >= kFpsHeld * c.tier_fps ||
        c.coded_fps < 0.5 * c.tier_fps)
      continue;
    if (!pick || c.cores > candidates[*pick].cores)
      pick = i;
  }
  if (pick) {
    const HostCandidate &c = candidates[*pick];
    char why[200];
    g_snprintf(why, sizeof why,
               "moved down: the host's cores were %.0f %% busy, and it coded %.3g frames a "
               "second of the %u \"%s\" allows, with %.3g cores, the most of those behind",
               host_busy * 100, c.coded_fps, c.tier_fps, ladder[c.tier].name.c_str(), c.cores);
    *reason = why;
  }
  return pick;
}

namespace {

/* "name", "fps", "max_size", "max_bitrate" (null: no cap) of @tier. */
void tierMembers(JsonBuilder *b, const Tier &tier)
{
  auto capOrNull = [b](const char *name, unsigned value) {
    json_builder_set_member_name(b, name);
    if (value)
      json_builder_add_int_value(b, value);
    else
      json_builder_add_null_value(b);
  };
  json_builder_set_member_name(b, "name");
  json_builder_add_string_value(b, tier.name.c_str());
  capOrNull("fps", tier.fps);
  json_builder_set_member_name(b, "max_size");
  if (tier.max_width) {
    std::string size = std::to_string(tier.max_width) + "x" + std::to_string(tier.max_height);
    json_builder_add_string_value(b, size.c_str());
  } else {
    json_builder_add_null_value(b);
  }
  capOrNull("max_bitrate", tier.max_bitrate);
}

} // namespace

void describeLadder(JsonBuilder *b, const std::vector<Tier> &ladder)
{
  json_builder_set_member_name(b, "tiers");
  json_builder_begin_array(b);
  for (const Tier &t : ladder) {
    json_builder_begin_object(b);
    tierMembers(b, t);
    json_builder_set_member_name(b, "cpu");
    json_builder_add_double_value(b, t.cpu);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
}

void describeTier(JsonBuilder *b, const Tier &tier, const std::string &reason,
                  const Reservation *reservation)
{
  json_builder_set_member_name(b, "tier");
  json_builder_begin_object(b);
  tierMembers(b, tier);
  json_builder_set_member_name(b, "reason");
  json_builder_add_string_value(b, reason.c_str());
  json_builder_end_object(b);
  if (!reservation)
    return;
  json_builder_set_member_name(b, "reservation");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "cpu");
  json_builder_add_double_value(b, reservation->cpu);
  json_builder_set_member_name(b, "memory");
  json_builder_add_int_value(b, static_cast<gint64>(reservation->memory));
  json_builder_end_object(b);
}

} // namespace vdid
