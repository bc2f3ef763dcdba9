/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Stops process groups without blocking vdid's main loop: SIGTERM to the
 * group now, SIGKILL to what is left of it once the leader exits or the
 * grace time is over, the leader reaped by a GLib child watch. The session
 * code hands each compositor, app and worker group here and learns through
 * a callback when all of them are gone.
 */

#pragma once

#include <glib.h>
#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>

namespace vdid {

class ProcessReaper
{
public:
  ProcessReaper() = default;
  ~ProcessReaper();
  ProcessReaper(const ProcessReaper &) = delete;
  ProcessReaper &operator=(const ProcessReaper &) = delete;

  /* Stops the group led by @leader (a child of this process). @done runs
   * on the main context once the leader is reaped and the rest of its
   * group has been sent SIGKILL; at once when @leader is not a live
   * child. */
  void stop(pid_t leader, int grace_ms, std::function<void()> done = {});

  /* Groups still being stopped. */
  size_t pending() const { return entries_.size(); }

  /* Shutdown only: iterates the default main context until nothing is
   * pending or @timeout_ms passed, then kills and reaps what is left. */
  void drain(int timeout_ms);

private:
  struct Entry {
    pid_t leader;
    guint watch = 0;
    guint timer = 0;
    std::function<void()> done;
  };
  void finish(pid_t leader);

  std::map<pid_t, Entry> entries_;
};

/* One callback for many: runs @done once arm() was called and every
 * callback made by part() has run. */
class Countdown
{
public:
  explicit Countdown(std::function<void()> done);
  /* A callback to hand to one of the parts. */
  std::function<void()> part();
  /* No more parts: @done runs as soon as the ones handed out have run
   * (now, if they have). */
  void arm();

private:
  struct Shared {
    unsigned open = 1; /* the arm() */
    std::function<void()> done;
    void release()
    {
      if (--open == 0 && done) {
        auto d = std::move(done);
        d();
      }
    }
  };
  std::shared_ptr<Shared> shared_;
};

} // namespace vdid
