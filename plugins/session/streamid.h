/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * SRT stream ids as callers of vdisrtsink send them. Accepted forms (the
 * ones mediamtx understands, so tools written for it work unchanged):
 *
 *   read:NAME                       read session NAME
 *   read:NAME:USER:PASS             ... with credentials
 *   publish:NAME[:USER:PASS]        parsed, mode Publish (the server refuses it)
 *   #!::r=NAME,m=request            SRT access-control form; m=read is an
 *                                   alias of m=request, m absent means request;
 *                                   u=USER and s=PASS carry credentials
 *                                   (mediamtx's choice); m=publish and
 *                                   m=bidirectional give mode Publish /
 *                                   Bidirectional. Other keys (h, t, custom)
 *                                   are kept in `extra`; t other than stream
 *                                   is refused.
 *
 * A session NAME is 1..255 bytes of printable ASCII without ':' ',' '=' or
 * spaces (see validSessionName()). Anything else is a parse error with a
 * message, never a crash: the input comes from the network.
 */

#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vdi::srt {

enum class StreamMode { Request, Publish, Bidirectional };

struct StreamId {
  StreamMode mode = StreamMode::Request;
  std::string name;
  std::optional<std::string> user;
  std::optional<std::string> password;
  /* Access-control keys we do not interpret (h, custom keys), in order. */
  std::vector<std::pair<std::string, std::string>> extra;
};

/* Longest stream id SRT carries (SRTO_STREAMID). */
constexpr size_t kMaxStreamIdLength = 512;
constexpr size_t kMaxSessionNameLength = 255;

/* Parses @text. On failure returns nullopt and sets @error (if given). */
std::optional<StreamId> parseStreamId(const std::string &text, std::string *error = nullptr);

/* True if @name can be a session name (a pad sink_NAME of vdisrtsink). */
bool validSessionName(const std::string &name);

/* The canonical `read:NAME[:USER:PASS]` form, for logs and tests. */
std::string formatStreamId(const StreamId &id);

} // namespace vdi::srt
