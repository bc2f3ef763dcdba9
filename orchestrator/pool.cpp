/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "pool.h"

#include <algorithm>

namespace vdid {

namespace {
constexpr guint kRefillIntervalMs = 200;
constexpr gint64 kFirstBackoffUs = 2 * G_USEC_PER_SEC;
constexpr gint64 kMaxBackoffUs = 60 * G_USEC_PER_SEC;
/* After a claim the refill waits this long: the claimed session's first
 * viewer is connecting then, and a compositor + worker start beside it
 * would slow that down on a small machine. */
constexpr gint64 kRefillDelayAfterClaimUs = 2 * G_USEC_PER_SEC;
} // namespace

Pool::Pool(const Config &config, SessionManager &sessions) : config_(config), sessions_(sessions)
{
  std::vector<std::string> candidates = config_.pool_users;
  bool named = !candidates.empty();
  if (!named)
    for (const auto &[user, hash] : config_.users)
      candidates.push_back(user);
  for (const auto &user : candidates) {
    std::string why;
    if (sessions_.mayRunAs(user, &why))
      users_.push_back(user);
    else if (named)
      g_warning("pool: no pooled sessions for %s: %s", user.c_str(), why.c_str());
  }
  if (users_.empty())
    g_warning("pool-size is %u but no user in [users] has a Unix account sessions may run as: "
              "the pool stays empty",
              config_.pool_size);
  std::string names;
  for (const auto &user : users_)
    names += (names.empty() ? "" : ", ") + user;
  if (!users_.empty())
    g_message("pool: %u ready session(s) for each of: %s", config_.pool_size, names.c_str());
  timer_ = g_timeout_add(
    kRefillIntervalMs,
    [](gpointer data) -> gboolean {
      static_cast<Pool *>(data)->refill();
      return G_SOURCE_CONTINUE;
    },
    this);
}

Pool::~Pool()
{
  if (timer_)
    g_source_remove(timer_);
}

unsigned Pool::ready(const std::string &user) const
{
  unsigned n = 0;
  for (const auto &s : sessions_.list(true))
    if (s->in_pool && s->user == user && s->state == SessionState::Running)
      n++;
  return n;
}

std::shared_ptr<Session> Pool::take(const std::string &user, unsigned width, unsigned height,
                                    unsigned fps, const std::vector<std::vector<std::string>> &apps)
{
  bool pooled_user = std::find(users_.begin(), users_.end(), user) != users_.end();
  if (pooled_user && fps == config_.fps) {
    for (const auto &s : sessions_.list(true)) {
      if (!s->in_pool || s->user != user || s->state != SessionState::Running)
        continue;
      /* GNOME Shell / Mutter cannot resize: another size starts cold. */
      if (s->plan.usesMutter() && (width != s->width || height != s->height))
        break;
      std::string error;
      if (sessions_.claim(*s, width, height, apps, &error)) {
        claims_++;
        quiet_until_ = g_get_monotonic_time() + kRefillDelayAfterClaimUs;
        return s;
      }
      g_warning("pool: session %s could not be claimed (%s); stopping it", s->id.c_str(),
                error.c_str());
      sessions_.destroy(s->id);
      break;
    }
  }
  misses_++;
  return nullptr;
}

bool Pool::evictOne()
{
  for (const auto &s : sessions_.list(true)) {
    if (s->in_pool) {
      g_message("pool: stopping pooled session %s to make room for a new session", s->id.c_str());
      sessions_.destroy(s->id);
      return true;
    }
  }
  return false;
}

void Pool::refill()
{
  gint64 now = g_get_monotonic_time();
  std::map<std::string, unsigned> pooled;
  std::vector<std::string> failed;
  bool starting = false;
  for (const auto &s : sessions_.list(true)) {
    if (!s->in_pool)
      continue;
    if (s->state == SessionState::Failed) {
      failed.push_back(s->id);
      gint64 &backoff = backoff_[s->user];
      backoff = backoff ? std::min(backoff * 2, kMaxBackoffUs) : kFirstBackoffUs;
      retry_at_[s->user] = now + backoff;
      g_warning("pool: a pooled session of %s failed (%s); next try in %lld s", s->user.c_str(),
                s->reason.c_str(), static_cast<long long>(backoff / G_USEC_PER_SEC));
      continue;
    }
    pooled[s->user]++;
    if (s->state == SessionState::Starting)
      starting = true;
    else if (s->state == SessionState::Running)
      backoff_.erase(s->user); /* it works again */
  }
  for (const auto &id : failed)
    sessions_.destroy(id);
  /* One start at a time: starting a compositor and a worker takes most of
   * a core for a moment, which the sessions in use need more. */
  /* A pooled session reserves its share of the host budget too; a real
   * create evicts it when the budget is needed. */
  if (starting || sessions_.live() >= config_.max_sessions ||
      admit(config_.budget, sessions_.reserved(), sessions_.live(),
            {config_.tiers[0].cpu, config_.budget.session.memory}) ||
      now < quiet_until_)
    return;
  for (const auto &user : users_) {
    if (pooled[user] >= config_.pool_size || now < retry_at_[user])
      continue;
    SessionManager::Error code;
    std::string error;
    if (!sessions_.start(user, config_.width, config_.height, config_.fps, {}, "", true, &code,
                         &error)) {
      gint64 &backoff = backoff_[user];
      backoff = backoff ? std::min(backoff * 2, kMaxBackoffUs) : kFirstBackoffUs;
      retry_at_[user] = now + backoff;
      g_warning("pool: cannot start a pooled session for %s: %s", user.c_str(), error.c_str());
    }
    return;
  }
}

} // namespace vdid
