/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The pre-warmed session pool (`[sessions] pool-size`, `pool-users`): vdid
 * keeps pool-size sessions per pool user started and ready (compositor up
 * and, with stream=true, the worker's pipeline playing) at the configured
 * default size and fps. A POST /api/v1/sessions of that user with the
 * default fps takes one (resizing it when another size is asked for), gets
 * its apps launched and is `running` at once; the pool refills in the
 * background, one session at a time so that refilling never starves the
 * sessions in use.
 *
 * Unclaimed pooled sessions belong to no one yet: they are not listed, do
 * not count to max-sessions-per-user, never idle out, but do count to
 * max-sessions (they hold a compositor and a worker). When the host is full
 * and a cold start needs a slot, an unclaimed pooled session gives it up.
 */

#pragma once

#include "config.h"
#include "sessions.h"

#include <glib.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace vdid {

class Pool
{
public:
  Pool(const Config &config, SessionManager &sessions);
  ~Pool();
  Pool(const Pool &) = delete;
  Pool &operator=(const Pool &) = delete;

  /* The users the pool keeps sessions for. */
  const std::vector<std::string> &users() const { return users_; }

  /* A ready pooled session of @user, claimed for @spec (apps launched,
   * resized to @width x @height), or nullptr when none fits: then the
   * caller starts one cold. Counts a claim or a miss. */
  std::shared_ptr<Session> take(const std::string &user, unsigned width, unsigned height,
                                unsigned fps, const std::vector<std::vector<std::string>> &apps);

  /* Stops one unclaimed pooled session to free a host slot for a cold
   * start. Returns false if there is none. */
  bool evictOne();

  /* Ready (running, unclaimed) pooled sessions of @user. */
  unsigned ready(const std::string &user) const;
  guint64 claims() const { return claims_; }
  guint64 misses() const { return misses_; }

private:
  void refill();

  const Config &config_;
  SessionManager &sessions_;
  std::vector<std::string> users_;
  guint timer_ = 0;
  guint64 claims_ = 0, misses_ = 0;
  gint64 quiet_until_ = 0; /* no refill before (monotonic µs), see pool.cpp */
  /* After a pooled session failed: no new one for that user before this
   * (monotonic µs), doubling up to a minute, so a broken compositor does
   * not make vdid spin. */
  std::map<std::string, gint64> retry_at_;
  std::map<std::string, gint64> backoff_;
};

} // namespace vdid
