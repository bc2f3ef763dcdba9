/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The few STUN (RFC 8489) / TURN (RFC 8656) messages vdid's TURN check
 * (turn-probe.h) sends, and the parser of what the server answers — network
 * input, fuzzed by tests/fuzz/fuzz-ice.cpp.
 */

#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vdid::stun {

constexpr uint32_t kMagicCookie = 0x2112A442;
constexpr uint16_t kAllocate = 0x0003, kRefresh = 0x0004;
constexpr uint16_t kSuccess = 0x0100, kError = 0x0110; /* class bits of a response */
constexpr uint16_t kAttrUsername = 0x0006, kAttrIntegrity = 0x0008, kAttrErrorCode = 0x0009,
                   kAttrLifetime = 0x000D, kAttrRealm = 0x0014, kAttrNonce = 0x0015,
                   kAttrRelayed = 0x0016, kAttrTransport = 0x0019;

/* A request being built: header with a random transaction id, attributes
 * padded to 4 bytes, the length kept up to date. */
class Message
{
public:
  explicit Message(uint16_t type);
  void add(uint16_t type, const void *value, size_t len);
  void add(uint16_t type, const std::string &s) { add(type, s.data(), s.size()); }
  void add32(uint16_t type, uint32_t v);
  /* MESSAGE-INTEGRITY with the long-term key MD5(user:realm:password);
   * the last attribute added. */
  void sign(const std::string &user, const std::string &realm, const std::string &password);

  const std::vector<uint8_t> &bytes() const { return data_; }
  const uint8_t *tid() const { return data_.data() + 8; }

private:
  void setLength(size_t n);
  std::vector<uint8_t> data_;
};

/* What the probe reads from a response. */
struct Response {
  uint16_t cls = 0; /* kSuccess or kError (or 0 for an indication/request) */
  unsigned error_code = 0;
  std::string reason, realm, nonce;
  std::string relayed; /* XOR-RELAYED-ADDRESS, "a.b.c.d:port" (IPv4 only) */
};

/* Parses @n bytes at @p as the response to transaction @tid (12 bytes);
 * false if it is not one (too short, bad length, other transaction,
 * attribute past the end). */
bool parseResponse(const uint8_t *p, size_t n, const uint8_t *tid, Response *r);

/* The 16-bit big-endian value at @p. */
inline uint16_t get16(const uint8_t *p)
{
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

} // namespace vdid::stun
