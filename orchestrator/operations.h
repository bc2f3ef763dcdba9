/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * What an authenticated caller may do with sessions, whatever the
 * transport: the REST API (api.cpp) and the D-Bus API (dbus-manager.cpp)
 * both call these, so that they decide alike and answer with the same
 * messages. Each failure is a Failure kind (REST turns it into a status,
 * D-Bus into an org.gstvdi.Manager1.Error.* name) and a message for the
 * user.
 */

#pragma once

#include "auth.h"
#include "config.h"
#include "requests.h"
#include "sessions.h"

#include <json-glib/json-glib.h>
#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace vdid {

enum class Failure {
  None,
  BadRequest,
  Unauthorized,
  Forbidden,
  NotFound,
  Conflict,
  LimitReached,
  Failed
};

struct Outcome {
  Failure failure = Failure::None;
  std::string message;
  bool ok() const { return failure == Failure::None; }
  /* Sets the failure; returns false (or nullptr) for the callers' returns. */
  bool fail(Failure f, std::string text)
  {
    failure = f;
    message = std::move(text);
    return false;
  }
};

/* A share link just made: the members of the REST answer. */
struct ShareLink {
  std::string token, session, expires; /* expires: ISO 8601 */
  Role role = Role::View;
};

class Operations
{
public:
  Operations(const Config &config, Auth &auth, SessionManager &sessions);

  /* Whether @id may see (and, unless a share, control) session @s. */
  static bool maySee(const Identity &id, const Session &s);
  /* The identity of a local caller by its Unix uid (D-Bus): root is an
   * admin; another uid is the vdid user of its account's name, which must
   * be in [users]. */
  bool identityOfUid(uid_t uid, Identity *out, Outcome *outcome) const;

  /* Sessions @id may see, by creation time (unclaimed pooled ones never). */
  std::vector<std::shared_ptr<Session>> visible(const Identity &id) const;
  /* Session @sid if @id may see it; else NotFound, the same whether it does
   * not exist or is someone else's. */
  std::shared_ptr<Session> find(const Identity &id, const std::string &sid, Outcome *out) const;
  std::shared_ptr<Session> create(const Identity &id, const SessionSpec &spec, Outcome *out);
  /* Stops session @sid (its share links die with it); @done runs once
   * nothing of it runs any more. */
  bool stop(const Identity &id, const std::string &sid, std::function<void()> done, Outcome *out);
  bool resize(const Identity &id, const std::string &sid, const ResizeRequest &size, Outcome *out);
  bool share(const Identity &id, const std::string &sid, const ShareRequest &request,
             ShareLink *link, Outcome *out);
  /* Revokes the share link @token of session @sid (NotFound if it is not
   * one of that session's). */
  bool revokeShare(const Identity &id, const std::string &sid, const std::string &token,
                   Outcome *out);

  /* The session object (docs/vdid.md, "HTTP API"). */
  JsonNode *sessionJson(const Session &s) const;
  /* {"token","role","session","expires"} */
  static JsonNode *shareJson(const ShareLink &link);
  /* What the host lets sessions use (GET /api/v1/budgets, GetBudgets); not
   * for share tokens. */
  JsonNode *budgets(const Identity &id, Outcome *out) const;
  /* Adds the session's other stream URLs (whep, hls, srt) to its "urls". */
  std::function<void(JsonBuilder *, const Session &)> describe_urls;

private:
  const Config &config_;
  Auth &auth_;
  SessionManager &sessions_;
};

} // namespace vdid
