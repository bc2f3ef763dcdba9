/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Tokens every vdid of a fleet trusts (docs/fleet.md): signed with the
 * fleet's shared secret (`[fleet] secret`), so that a login cookie the
 * front door issued is good on every node without the nodes sharing any
 * state, and the door can prove itself to the nodes it polls.
 *
 *   vdf1.KIND.USER.EXPIRY.MAC
 *
 * KIND is `user` (a signed-in user: the login cookie) or `door` (the front
 * door reading a node's report); USER is the user name, base64url; EXPIRY
 * Unix seconds; MAC the HMAC-SHA256 of everything before it, base64url.
 * Pure functions over the clock they are given, unit-tested.
 */

#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace vdid {

enum class FleetTokenKind { User, Door };

struct FleetClaim {
  FleetTokenKind kind = FleetTokenKind::User;
  std::string user; /* empty for the door */
  int64_t expiry = 0;
};

/* A token for @claim, signed with @secret (non-empty). */
std::string signFleetToken(const std::string &secret, const FleetClaim &claim);

/* The claim of @token if it is one, its MAC is right for @secret (compared
 * in constant time) and it has not expired at @now (Unix seconds). */
std::optional<FleetClaim> verifyFleetToken(const std::string &secret, const std::string &token,
                                           int64_t now);

/* Whether @token has the shape of a fleet token (so that it is never looked
 * up as a vdid-local cookie). */
bool isFleetToken(const std::string &token);

} // namespace vdid
