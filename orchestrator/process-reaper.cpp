/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "process-reaper.h"

#include <cerrno>
#include <csignal>
#include <sys/wait.h>

namespace vdid {

namespace {

struct WatchData {
  ProcessReaper *self;
  pid_t leader;
};

} // namespace

ProcessReaper::~ProcessReaper()
{
  for (auto &[pid, e] : entries_) {
    if (e.watch)
      g_source_remove(e.watch);
    if (e.timer)
      g_source_remove(e.timer);
  }
}

void ProcessReaper::stop(pid_t leader, int grace_ms, std::function<void()> done)
{
  if (leader <= 0 || entries_.count(leader)) {
    if (done)
      done();
    return;
  }
  kill(-leader, SIGTERM);
  kill(leader, SIGTERM);
  /* Not (or no longer) our child: nothing to wait for. An exited child is
   * reaped here. */
  pid_t r = waitpid(leader, nullptr, WNOHANG);
  if (r == leader || (r < 0 && errno == ECHILD)) {
    kill(-leader, SIGKILL);
    if (done)
      done();
    return;
  }
  Entry &e = entries_[leader];
  e.leader = leader;
  e.done = std::move(done);
  e.watch = g_child_watch_add_full(
    G_PRIORITY_DEFAULT, leader,
    [](GPid pid, gint, gpointer d) {
      auto *w = static_cast<WatchData *>(d);
      auto it = w->self->entries_.find(pid);
      if (it != w->self->entries_.end())
        it->second.watch = 0;
      w->self->finish(pid);
    },
    new WatchData{this, leader}, [](gpointer d) { delete static_cast<WatchData *>(d); });
  e.timer = g_timeout_add_full(
    G_PRIORITY_DEFAULT, static_cast<guint>(grace_ms),
    [](gpointer d) -> gboolean {
      auto *w = static_cast<WatchData *>(d);
      auto it = w->self->entries_.find(w->leader);
      if (it != w->self->entries_.end()) {
        it->second.timer = 0;
        /* The child watch reaps it once SIGKILL took effect. */
        kill(-w->leader, SIGKILL);
        kill(w->leader, SIGKILL);
      }
      return G_SOURCE_REMOVE;
    },
    new WatchData{this, leader}, [](gpointer d) { delete static_cast<WatchData *>(d); });
}

void ProcessReaper::finish(pid_t leader)
{
  auto it = entries_.find(leader);
  if (it == entries_.end())
    return;
  /* Whatever is left of the group (children of the leader) goes now. */
  kill(-leader, SIGKILL);
  if (it->second.timer)
    g_source_remove(it->second.timer);
  auto done = std::move(it->second.done);
  entries_.erase(it);
  if (done)
    done();
}

void ProcessReaper::drain(int timeout_ms)
{
  gint64 deadline = g_get_monotonic_time() + gint64(timeout_ms) * 1000;
  while (!entries_.empty() && g_get_monotonic_time() < deadline)
    g_main_context_iteration(nullptr, TRUE);
  while (!entries_.empty()) {
    pid_t leader = entries_.begin()->first;
    if (entries_.begin()->second.watch)
      g_source_remove(entries_.begin()->second.watch);
    entries_.begin()->second.watch = 0;
    kill(-leader, SIGKILL);
    kill(leader, SIGKILL);
    waitpid(leader, nullptr, 0);
    finish(leader);
  }
}

Countdown::Countdown(std::function<void()> done) : shared_(std::make_shared<Shared>())
{
  shared_->done = std::move(done);
}

std::function<void()> Countdown::part()
{
  shared_->open++;
  return [s = shared_] { s->release(); };
}

void Countdown::arm()
{
  shared_->release();
}

} // namespace vdid
