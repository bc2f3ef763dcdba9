/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Encode tiers: what a session streams at (frame-rate cap, size cap,
 * bitrate cap) and what it reserves of the host budget (host-budget.h) for
 * it. A ladder runs from the best tier down; each new session is placed on
 * the best tier that fits what the host has left, or, with `[budget]
 * downgrade = false`, only on the top one. Operators name tiers in
 * `[tier NAME]` groups listed by `[budget] tiers`; without them vdid uses
 * defaultLadder(). Pure functions, so that every placement is unit-tested.
 */

#pragma once

#include "host-budget.h"

#include <optional>
#include <string>
#include <vector>

namespace vdid {

struct Tier {
  std::string name;
  unsigned fps = 0;                       /* most frames per second; 0: the session's */
  unsigned max_width = 0, max_height = 0; /* a size cap; 0: none */
  unsigned max_bitrate = 0;               /* kbit/s; 0: vdiwebrtcsink's own cap */
  double cpu = 0;                         /* cores a session on this tier reserves */
};

/* "full" (the session's size and frame rate, @cpu cores), "half" (at most
 * 30 fps and 4 Mbit/s, kHalfShare x @cpu) and "low" (15 fps, 1280x720,
 * 1.5 Mbit/s, kLowShare x @cpu). The shares are measured
 * (tests/bench/tier-cost.py, docs/benchmarks.md): a busy 1080p60 or 720p60
 * session used 0.61-0.82 x its "full" CPU on "half" and 0.21-0.60 x on
 * "low" (the worker's own part falls with the frames it codes, the apps'
 * does not: a video player decodes every frame whatever the stream
 * sends). Each share is the smallest with which the busiest measured
 * session stays within kDownAbove x its reservation there, so that a
 * session moved down is not moved down again for being where it was
 * sent. */
constexpr double kHalfShare = 0.7;
constexpr double kLowShare = 0.5;
std::vector<Tier> defaultLadder(double cpu);

struct Placement {
  size_t tier = 0;         /* index in the ladder */
  Reservation reservation; /* what the session reserves on it */
  std::string reason;      /* why this tier, in words */
};

/* The best tier of @ladder (never empty) on which a new session fits beside
 * @live sessions reserving @reserved; only the top one unless
 * budget.downgrade. Without a placement, @refusal says which budget is
 * exhausted (for the top tier, or the lowest one tried). */
std::optional<Placement> place(const std::vector<Tier> &ladder, const HostBudget &budget,
                               const Reservation &reserved, unsigned live, Refusal *refusal);

/* A session of @width x @height at @fps on @tier: the size scaled down
 * (aspect kept, even numbers) to the tier's cap, the frame rate capped. */
void applyTier(const Tier &tier, unsigned *width, unsigned *height, unsigned *fps);
/* The size a running session's stream has on @tier: its desktop's @width x
 * @height, or smaller where the tier's size cap is (the worker scales). */
void streamSize(const Tier &tier, unsigned width, unsigned height, unsigned *stream_width,
                unsigned *stream_height);

/* Moving a running session between tiers (with `[budget] downgrade`),
 * once per `tier-window`, down one tier when over the window
 * - the session used more than kDownAbove x its tier's reservation, or
 * - its cpu-limit held it back (throttled) in kThrottledDown of the
 *   scheduler's periods: it wants more than it may have, and everything in
 *   it (compositor, apps, worker) waits, whatever its CPU use says, or
 * - its frames took more than kFrameBusy x the time a frame has at the
 *   tier's frame rate while coding took kCodingBusy of the time or more
 *   (a host too busy to code its frames in time: frames are dropped; a
 *   few slow frames alone, e.g. full-screen changes now and then, drop
 *   none and do not count);
 * up one tier after kCalmWindows windows in a row below kUpBelow x each of
 * those measures at the higher tier, if its reservation fits the budget. */
constexpr double kDownAbove = 1.25;
constexpr double kThrottledDown = 0.5;
constexpr double kFrameBusy = 0.8;
constexpr double kCodingBusy = 0.5;
constexpr double kUpBelow = 0.5;
constexpr unsigned kCalmWindows = 3;

/* When the host's cores are all busy (kHostSaturated of them over the
 * window, whatever else runs there), sessions cannot hold their rate and
 * their own CPU does not show it (each gets less than it asks). Then one
 * session per window moves down: of those not at the bottom that code
 * fewer than kFpsHeld x their tier's frame rate while their content moves
 * (at least half of it), the one that used the most CPU. While the host
 * is that busy, a session whose picture moves does not climb. */
constexpr double kHostSaturated = 0.95;
constexpr double kFpsHeld = 0.9;

struct HostCandidate {
  size_t tier = 0;       /* its tier */
  double cores = 0;      /* CPU it used over the window */
  double coded_fps = 0;  /* frames it coded a second, over the window */
  unsigned tier_fps = 0; /* the frame rate it runs at on its tier (0: unknown) */
};

/* Which of @candidates (index) moves down when the host's cores were
 * @host_busy (0..1) busy, or nullopt; @reason says why. */
std::optional<size_t> hostPressurePick(const std::vector<Tier> &ladder, double host_busy,
                                       const std::vector<HostCandidate> &candidates,
                                       std::string *reason);

/* What a session did over the last window. */
struct TierLoad {
  double cores = 0;      /* CPU it used, in cores */
  unsigned window_s = 0; /* the window's length */
  double frame_ms = 0;   /* mean time its worker took to code a frame; 0: no frames */
  unsigned fps = 0;      /* the frame rate it asked for, before tier caps; 0: unknown */
  double busy = 0;       /* share of the window its worker spent coding frames */
  double throttled = 0;  /* share of the scheduler's periods its cpu-limit held it back */
  double host_busy = 0;  /* share of the host's cores that were busy */
  double coded_fps = 0;  /* frames its worker coded a second */
};

struct TierMove {
  size_t tier;        /* where the session goes (its own: it stays) */
  std::string reason; /* why, in words; empty when it stays */
};

/* @load: what the session on @tier did over the last window; @calm counts
 * its calm windows (updated); @reserved: what all live sessions reserve,
 * this one included. */
TierMove nextTier(const std::vector<Tier> &ladder, size_t tier, const TierLoad &load,
                  unsigned *calm, const HostBudget &budget, const Reservation &reserved);

/* Adds "tier": {"name", "fps", "max_size", "max_bitrate", "reason"} (null
 * for no cap) and, with @reservation, "reservation": {"cpu", "memory"} to
 * a session object being built. */
void describeTier(JsonBuilder *b, const Tier &tier, const std::string &reason,
                  const Reservation *reservation);

/* Adds "tiers": [{"name", "fps", "max_size", "max_bitrate", "cpu"}, ...],
 * best first (GET /api/v1/budgets, GetBudgets). */
void describeLadder(JsonBuilder *b, const std::vector<Tier> &ladder);

} // namespace vdid
