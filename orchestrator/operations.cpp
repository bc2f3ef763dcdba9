/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "operations.h"

#include "encoder-tier.h"
#include "http.h"
#include <pwd.h>

namespace vdid {

Operations::Operations(const Config &config, Auth &auth, SessionManager &sessions)
  : config_(config), auth_(auth), sessions_(sessions)
{
}

bool Operations::maySee(const Identity &id, const Session &s)
{
  return id.admin || (!id.isShare() && s.user == id.user) ||
         (id.isShare() && id.share_session == s.id);
}

bool Operations::identityOfUid(uid_t uid, Identity *out, Outcome *outcome) const
{
  Identity id;
  if (uid == 0) {
    id.user = "root";
    id.admin = true;
    *out = id;
    return true;
  }
  struct passwd pw, *found = nullptr;
  char buf[4096];
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) != 0 || !found)
    return outcome->fail(Failure::Unauthorized,
                         "uid " + std::to_string(uid) + " has no Unix account name");
  id.user = found->pw_name;
  if (!auth_.hasUser(id.user))
    return outcome->fail(Failure::Unauthorized,
                         "the Unix user \"" + id.user + "\" is not a vdid user ([users])");
  id.admin = auth_.isAdmin(id.user);
  *out = id;
  return true;
}

std::vector<std::shared_ptr<Session>> Operations::visible(const Identity &id) const
{
  std::vector<std::shared_ptr<Session>> out;
  for (auto &s : sessions_.list())
    if (maySee(id, *s))
      out.push_back(s);
  return out;
}

std::shared_ptr<Session> Operations::find(const Identity &id, const std::string &sid,
                                          Outcome *out) const
{
  auto s = sessions_.get(sid);
  /* The same answer whether it does not exist or is someone else's. */
  if (!s || !maySee(id, *s)) {
    out->fail(Failure::NotFound, "no such session: " + sid);
    return nullptr;
  }
  return s;
}

std::shared_ptr<Session> Operations::create(const Identity &id, const SessionSpec &spec,
                                            Outcome *out)
{
  if (id.isShare()) {
    out->fail(Failure::Forbidden, "a share token cannot create sessions");
    return nullptr;
  }
  SessionManager::Error code;
  std::string message;
  auto s = sessions_.create(id.user, spec, &code, &message);
  if (!s) {
    Failure f = Failure::Failed;
    if (code == SessionManager::Error::BadRequest)
      f = Failure::BadRequest;
    else if (code == SessionManager::Error::LimitReached)
      f = Failure::LimitReached;
    else if (code == SessionManager::Error::NoSuchUser)
      f = Failure::Forbidden;
    out->fail(f, message);
  }
  return s;
}

bool Operations::stop(const Identity &id, const std::string &sid, std::function<void()> done,
                      Outcome *out)
{
  if (!find(id, sid, out))
    return false;
  if (id.isShare())
    return out->fail(Failure::Forbidden, "a share token cannot stop the session");
  auth_.revokeSharesOf(sid);
  sessions_.destroy(sid, std::move(done));
  return true;
}

bool Operations::resize(const Identity &id, const std::string &sid, const ResizeRequest &size,
                        Outcome *out)
{
  if (!find(id, sid, out))
    return false;
  if (id.isShare() && id.share_role != Role::Control)
    return out->fail(Failure::Forbidden, "a view-only share cannot resize");
  std::string message;
  if (!sessions_.resize(sid, size.width, size.height, &message))
    return out->fail(Failure::Conflict, message);
  return true;
}

bool Operations::share(const Identity &id, const std::string &sid, const ShareRequest &request,
                       ShareLink *link, Outcome *out)
{
  if (!find(id, sid, out))
    return false;
  if (id.isShare())
    return out->fail(Failure::Forbidden, "a share token cannot make shares");
  link->token = auth_.createShare(sid, request.role, std::chrono::seconds(request.expires_in));
  link->role = request.role;
  link->session = sid;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autoptr(GDateTime) expiry = g_date_time_add_seconds(now, request.expires_in);
  g_autofree char *iso = g_date_time_format_iso8601(expiry);
  link->expires = iso;
  return true;
}

bool Operations::revokeShare(const Identity &id, const std::string &sid, const std::string &token,
                             Outcome *out)
{
  if (!find(id, sid, out))
    return false;
  if (id.isShare())
    return out->fail(Failure::Forbidden, "a share token cannot revoke shares");
  if (!auth_.revokeShare(sid, token))
    return out->fail(Failure::NotFound, "no such share link of session " + sid);
  return true;
}

JsonNode *Operations::sessionJson(const Session &s) const
{
  return buildJson([&](JsonBuilder *b) {
    auto str = [b](const char *k, const std::string &v) {
      json_builder_set_member_name(b, k);
      json_builder_add_string_value(b, v.c_str());
    };
    auto num = [b](const char *k, gint64 v) {
      json_builder_set_member_name(b, k);
      json_builder_add_int_value(b, v);
    };
    str("id", s.id);
    if (!config_.node_id.empty())
      str("node", config_.node_id);
    str("user", s.user);
    str("state", sessionStateName(s.state));
    if (s.state == SessionState::Failed)
      str("reason", s.reason);
    num("width", s.width);
    num("height", s.height);
    /* What its viewers get: the desktop's size, or its tier's scaled one. */
    json_builder_set_member_name(b, "stream");
    json_builder_begin_object(b);
    unsigned stream_width = 0, stream_height = 0;
    streamSize(config_.tiers[s.tier], s.width, s.height, &stream_width, &stream_height);
    num("width", stream_width);
    num("height", stream_height);
    json_builder_end_object(b);
    num("fps", s.fps);
    str("encoder", s.encoder);
    num("viewers", sessions_.viewers(s.id));
    json_builder_set_member_name(b, "urls");
    json_builder_begin_object(b);
    str("signalling", "/api/v1/sessions/" + s.id + "/signalling");
    if (describe_urls)
      describe_urls(b, s);
    json_builder_end_object(b);
    g_autoptr(GDateTime) created = g_date_time_new_from_unix_utc(s.created);
    g_autofree char *iso = g_date_time_format_iso8601(created);
    str("created", iso);
    sessions_.describe(b, s); /* pooled, limits */
  });
}

JsonNode *Operations::shareJson(const ShareLink &link)
{
  return buildJson([&](JsonBuilder *b) {
    for (const auto &[k, v] : {std::pair<const char *, std::string>{"token", link.token},
                               {"role", roleName(link.role)},
                               {"session", link.session},
                               {"expires", link.expires}}) {
      json_builder_set_member_name(b, k);
      json_builder_add_string_value(b, v.c_str());
    }
  });
}

JsonNode *Operations::budgets(const Identity &id, Outcome *out) const
{
  if (id.isShare()) {
    out->fail(Failure::Forbidden, "a share token cannot read the host's budgets");
    return nullptr;
  }
  std::vector<EncoderUse> uses;
  for (const auto &s : sessions_.list(true))
    if (s->state == SessionState::Starting || s->state == SessionState::Running)
      uses.push_back({s->encoder, s->software_only});
  const Cgroups &cg = sessions_.cgroups();
  return buildJson([&](JsonBuilder *b) {
    auto num = [b](const char *k, gint64 v) {
      json_builder_set_member_name(b, k);
      json_builder_add_int_value(b, v);
    };
    json_builder_set_member_name(b, "sessions");
    json_builder_begin_object(b);
    num("max", config_.max_sessions);
    num("maxPerUser", config_.max_sessions_per_user);
    num("live", sessions_.live());
    json_builder_end_object(b);
    json_builder_set_member_name(b, "perSession");
    json_builder_begin_object(b);
    cg.describeValues(b);
    json_builder_set_member_name(b, "enforced");
    json_builder_add_boolean_value(b, cg.enforced());
    if (cg.enforced()) {
      json_builder_set_member_name(b, "cgroup");
      json_builder_add_string_value(b, cgroupVersionName(cg.version()));
    } else if (cg.limits().any()) {
      json_builder_set_member_name(b, "reason");
      json_builder_add_string_value(b, cg.reason().c_str());
    }
    json_builder_end_object(b);
    json_builder_set_member_name(b, "encoders");
    json_builder_begin_object(b);
    num("maxHardwareSessions", config_.max_hardware_sessions);
    num("hardwareSessions", hardwareSessions(uses));
    json_builder_end_object(b);
    describeBudget(b, config_.budget, sessions_.reserved()); /* "host" */
    describeLadder(b, config_.tiers);
  });
}

} // namespace vdid
