/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "webrtc-whep.h"

#include "webrtc-signalling.h"

#include <gst/gst.h>

#include <vector>

GST_DEBUG_CATEGORY_EXTERN(gst_vdi_webrtc_sink_debug);
#define GST_CAT_DEFAULT gst_vdi_webrtc_sink_debug

namespace vdi::webrtc {

namespace {
constexpr unsigned kAnswerTimeoutMs = 5000;
enum Status : unsigned {
  kOk = 200,
  kCreated = 201,
  kNoContent = 204,
  kBadRequest = 400,
  kNotFound = 404,
  kInternalError = 500,
  kUnavailable = 503,
};
} // namespace

WhepServer::~WhepServer()
{
  std::vector<std::string> ids;
  for (auto &r : resources_)
    ids.push_back(r.first);
  for (auto &id : ids) {
    sessionEnded(id, "");
    host_.endSession(id);
  }
}

void WhepServer::answer(const std::string &id, unsigned status, const std::string &body)
{
  auto it = resources_.find(id);
  if (it == resources_.end() || !it->second.reply)
    return;
  Reply reply = std::move(it->second.reply);
  it->second.reply = nullptr;
  host_.cancelTimer(it->second.timeout);
  it->second.timeout = 0;
  if (status != kCreated)
    resources_.erase(it);
  reply(status, body, status == kCreated ? id : "");
}

std::string WhepServer::offer(const std::string &sdp, Reply reply)
{
  SessionRequest r;
  r.kind = "whep";
  r.offer = sdp;
  r.viewOnly = true;
  r.answerWithCandidates = true;
  std::string error;
  bool full = false;
  std::string id = host_.startSession(this, r, &error, &full);
  if (id.empty()) {
    reply(full ? kUnavailable : kBadRequest, error + "\n", "");
    return {};
  }
  Resource &res = resources_[id];
  res.reply = std::move(reply);
  /* Gathering did not complete in time: answer with what there is. */
  res.timeout = host_.addTimer(kAnswerTimeoutMs, [this, id] {
    auto it = resources_.find(id);
    if (it == resources_.end())
      return;
    it->second.timeout = 0;
    std::string local = host_.localDescription(id);
    if (!local.empty()) {
      answer(id, kCreated, local);
    } else {
      answer(id, kInternalError, "the session ended\n");
      host_.endSession(id);
    }
  });
  return id;
}

unsigned WhepServer::patch(const std::string &resource, const std::string &fragment)
{
  if (!resources_.count(resource))
    return kNotFound;
  std::vector<std::string> candidates;
  std::string why;
  if (!parseTrickleFragment(fragment, &candidates, &why)) {
    GST_DEBUG("WHEP PATCH for %s refused: %s", resource.c_str(), why.c_str());
    return kBadRequest;
  }
  for (auto &c : candidates)
    host_.addRemoteCandidate(resource, 0, c);
  return kNoContent;
}

unsigned WhepServer::remove(const std::string &resource)
{
  auto it = resources_.find(resource);
  if (it == resources_.end())
    return kNotFound;
  host_.cancelTimer(it->second.timeout);
  resources_.erase(it);
  host_.endSession(resource);
  return kOk;
}

void WhepServer::sendSdp(const std::string &session, const std::string &, const std::string &sdp)
{
  GST_DEBUG("WHEP answer for %s ready (%zu bytes)", session.c_str(), sdp.size());
  answer(session, kCreated, sdp);
}

void WhepServer::sessionEnded(const std::string &session, const std::string &error)
{
  auto it = resources_.find(session);
  if (it == resources_.end())
    return;
  if (it->second.reply) {
    answer(session, error.empty() ? kInternalError : kBadRequest,
           (error.empty() ? "the session ended" : error) + "\n");
    return; /* an error answer removes the resource */
  }
  host_.cancelTimer(it->second.timeout);
  resources_.erase(it);
}

} // namespace vdi::webrtc
