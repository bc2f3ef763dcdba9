/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Parsers for the JSON bodies of vdid's REST API. Pure functions over the
 * body text (no HTTP), so that they are unit-tested and fuzzed on their own.
 * Each returns false with a message for the user (answered as 400).
 */

#pragma once

#include "auth.h"
#include "sessions.h"

#include <cstddef>
#include <string>

namespace vdid {

struct LoginRequest {
  std::string user, password;
};
struct ResizeRequest {
  unsigned width = 0, height = 0;
};
struct ShareRequest {
  Role role = Role::View;
  unsigned expires_in = 3600; /* seconds */
};

/* An empty body is an empty object. */
bool parseSessionRequest(const char *data, size_t len, SessionSpec *out, std::string *error);
bool parseLoginRequest(const char *data, size_t len, LoginRequest *out, std::string *error);
bool parseResizeRequest(const char *data, size_t len, ResizeRequest *out, std::string *error);
bool parseShareRequest(const char *data, size_t len, ShareRequest *out, std::string *error);

} // namespace vdid
