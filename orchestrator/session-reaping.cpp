/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * SessionManager housekeeping: sessions without viewers past idle-timeout,
 * sessions a killed vdid left behind, and OOM kills inside sessions.
 */

#include "sessions.h"

#include "process-stats.h"

#include <algorithm>
#include <cerrno>
#include <csignal>

namespace vdid {

void SessionManager::reapIdle()
{
  gint64 now = g_get_monotonic_time();
  gint64 limit = static_cast<gint64>(config_.idle_timeout.count()) * G_USEC_PER_SEC;
  std::vector<std::string> idle;
  for (const auto &[id, s] : sessions_) {
    if (viewers(id) > 0 || s->state == SessionState::Starting || s->in_pool)
      s->last_viewer = now;
    else if (now - s->last_viewer > limit)
      idle.push_back(id);
  }
  for (const auto &id : idle) {
    g_message("session %s: no viewer for %lld s, stopping it", id.c_str(),
              static_cast<long long>(config_.idle_timeout.count()));
    destroy(id);
  }
}

unsigned SessionManager::reapLeftovers()
{
  unsigned reaped = 0;
  g_autoptr(GDir) base = g_dir_open(runtime_base_.c_str(), 0, nullptr);
  const char *name;
  while (base && (name = g_dir_read_name(base))) {
    std::string dir = runtime_base_ + "/" + name;
    if (!g_file_test(dir.c_str(), G_FILE_TEST_IS_DIR) || sessions_.count(name))
      continue;
    /* Processes of that session: their environment names its dir. */
    std::vector<pid_t> pids = processesWithEnv("XDG_RUNTIME_DIR=" + dir);
    for (pid_t p : pids)
      kill(p, SIGTERM);
    for (int i = 0; i < 200 && !pids.empty(); i++) {
      pids.erase(std::remove_if(pids.begin(), pids.end(),
                                [](pid_t p) { return kill(p, 0) < 0 && errno == ESRCH; }),
                 pids.end());
      g_usleep(10000);
    }
    for (pid_t p : pids)
      kill(p, SIGKILL);
    cgroups_->remove(name);
    removeTree(dir);
    g_message("reaped session %s left by a previous vdid", name);
    reaped++;
  }
  return reaped;
}

void SessionManager::checkOomKills()
{
  if (!cgroups_->enforced() || !cgroups_->limits().memory)
    return;
  for (auto &[id, s] : sessions_) {
    guint64 kills = cgroups_->oomKills(id);
    if (kills > s->oom_kills)
      g_message("session %s (%s): the OOM killer ended %" G_GUINT64_FORMAT
                " process(es) at memory-limit",
                id.c_str(), s->user.c_str(), kills - s->oom_kills);
    s->oom_kills = kills;
  }
}

} // namespace vdid
