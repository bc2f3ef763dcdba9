/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "stun-message.h"

#include <glib.h>

#include <cstring>

namespace vdid::stun {

namespace {

void put16(std::vector<uint8_t> &b, uint16_t v)
{
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v & 0xff));
}

void put32(std::vector<uint8_t> &b, uint32_t v)
{
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v & 0xffff));
}

} // namespace

Message::Message(uint16_t type)
{
  put16(data_, type);
  put16(data_, 0);
  put32(data_, kMagicCookie);
  for (int i = 0; i < 12; i++)
    data_.push_back(static_cast<uint8_t>(g_random_int_range(0, 256)));
}

void Message::add(uint16_t type, const void *value, size_t len)
{
  put16(data_, type);
  put16(data_, static_cast<uint16_t>(len));
  auto *v = static_cast<const uint8_t *>(value);
  data_.insert(data_.end(), v, v + len);
  while (data_.size() % 4)
    data_.push_back(0);
  setLength(data_.size() - 20);
}

void Message::add32(uint16_t type, uint32_t v)
{
  std::vector<uint8_t> b;
  put32(b, v);
  add(type, b.data(), b.size());
}

void Message::sign(const std::string &user, const std::string &realm, const std::string &password)
{
  std::string k = user + ":" + realm + ":" + password;
  g_autoptr(GChecksum) md5 = g_checksum_new(G_CHECKSUM_MD5);
  g_checksum_update(md5, reinterpret_cast<const guchar *>(k.data()), k.size());
  guint8 key[16];
  gsize key_len = sizeof(key);
  g_checksum_get_digest(md5, key, &key_len);
  /* The length covers the integrity attribute itself (RFC 8489 14.5). */
  setLength(data_.size() - 20 + 24);
  g_autoptr(GHmac) hmac = g_hmac_new(G_CHECKSUM_SHA1, key, key_len);
  g_hmac_update(hmac, data_.data(), data_.size());
  guint8 mac[20];
  gsize mac_len = sizeof(mac);
  g_hmac_get_digest(hmac, mac, &mac_len);
  add(kAttrIntegrity, mac, mac_len);
}

void Message::setLength(size_t n)
{
  data_[2] = static_cast<uint8_t>(n >> 8);
  data_[3] = static_cast<uint8_t>(n & 0xff);
}

bool parseResponse(const uint8_t *p, size_t n, const uint8_t *tid, Response *r)
{
  if (n < 20 || get16(p + 2) + 20u > n || memcmp(p + 8, tid, 12) != 0)
    return false;
  r->cls = get16(p) & 0x0110;
  size_t end = 20 + get16(p + 2);
  for (size_t at = 20; at + 4 <= end;) {
    uint16_t type = get16(p + at), len = get16(p + at + 2);
    const uint8_t *v = p + at + 4;
    if (at + 4 + len > end)
      return false;
    if (type == kAttrErrorCode && len >= 4) {
      /* Class 3 to 6, number 0 to 99 (RFC 8489 14.8). */
      unsigned cls = v[2] & 7, number = v[3];
      if (cls < 3 || cls > 6 || number > 99)
        return false;
      r->error_code = cls * 100 + number;
      r->reason.assign(reinterpret_cast<const char *>(v + 4), len - 4);
    } else if (type == kAttrRealm) {
      r->realm.assign(reinterpret_cast<const char *>(v), len);
    } else if (type == kAttrNonce) {
      r->nonce.assign(reinterpret_cast<const char *>(v), len);
    } else if (type == kAttrRelayed && len == 8 && v[1] == 1) {
      unsigned port = get16(v + 2) ^ (kMagicCookie >> 16);
      r->relayed = std::to_string(v[4] ^ 0x21) + "." + std::to_string(v[5] ^ 0x12) + "." +
                   std::to_string(v[6] ^ 0xA4) + "." + std::to_string(v[7] ^ 0x42) + ":" +
                   std::to_string(port);
    }
    at += 4 + ((len + 3u) & ~3u);
  }
  return true;
}

} // namespace vdid::stun
