/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "streamid.h"

namespace vdi::srt {

namespace {

bool fail(std::string *error, const std::string &message)
{
  if (error)
    *error = message;
  return false;
}

std::vector<std::string> split(const std::string &s, char sep)
{
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

bool printable(const std::string &s)
{
  for (unsigned char c : s)
    if (c < 0x20 || c > 0x7e)
      return false;
  return true;
}

bool parseAccessControl(const std::string &body, StreamId &id, std::string *error)
{
  bool have_mode = false, have_name = false;
  for (const std::string &item : split(body, ',')) {
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      return fail(error, "access-control item without key=value: \"" + item + "\"");
    std::string key = item.substr(0, eq);
    std::string value = item.substr(eq + 1);
    if (key == "r") {
      if (have_name)
        return fail(error, "key r given twice");
      have_name = true;
      id.name = value;
    } else if (key == "m") {
      if (have_mode)
        return fail(error, "key m given twice");
      have_mode = true;
      if (value == "request" || value == "read")
        id.mode = StreamMode::Request;
      else if (value == "publish")
        id.mode = StreamMode::Publish;
      else if (value == "bidirectional")
        id.mode = StreamMode::Bidirectional;
      else
        return fail(error, "unknown mode m=" + value);
    } else if (key == "u") {
      if (id.user)
        return fail(error, "key u given twice");
      if (value.empty())
        return fail(error, "empty user name (u=)");
      id.user = value;
    } else if (key == "s") {
      if (id.password)
        return fail(error, "key s given twice");
      id.password = value;
    } else if (key == "t") {
      if (value != "stream")
        return fail(error, "unsupported type t=" + value + " (only stream)");
    } else {
      id.extra.emplace_back(key, value);
    }
  }
  if (id.name.empty())
    return fail(error, "no resource name (r=NAME)");
  return true;
}

bool parseColonForm(const std::string &text, StreamId &id, std::string *error)
{
  std::vector<std::string> parts = split(text, ':');
  const std::string &verb = parts[0];
  if (verb == "read")
    id.mode = StreamMode::Request;
  else if (verb == "publish")
    id.mode = StreamMode::Publish;
  else
    return fail(error, "expected read:NAME, publish:NAME or #!::r=NAME,m=request");
  if (parts.size() != 2 && parts.size() != 4)
    return fail(error, "expected " + verb + ":NAME or " + verb + ":NAME:USER:PASS");
  id.name = parts[1];
  if (parts.size() == 4) {
    if (parts[2].empty())
      return fail(error, "empty user name");
    id.user = parts[2];
    id.password = parts[3];
  }
  return true;
}

} // namespace

bool validSessionName(const std::string &name)
{
  if (name.empty() || name.size() > kMaxSessionNameLength)
    return false;
  for (unsigned char c : name) {
    if (c <= 0x20 || c > 0x7e || c == ':' || c == ',' || c == '=')
      return false;
  }
  return true;
}

std::optional<StreamId> parseStreamId(const std::string &text, std::string *error)
{
  if (text.empty()) {
    fail(error, "empty stream id (use streamid=read:NAME)");
    return std::nullopt;
  }
  if (text.size() > kMaxStreamIdLength) {
    fail(error, "stream id longer than 512 bytes");
    return std::nullopt;
  }
  if (!printable(text)) {
    fail(error, "stream id contains non-printable bytes");
    return std::nullopt;
  }
  StreamId id;
  static const std::string ac_prefix = "#!::";
  bool ok = text.compare(0, ac_prefix.size(), ac_prefix) == 0
              ? parseAccessControl(text.substr(ac_prefix.size()), id, error)
              : parseColonForm(text, id, error);
  if (!ok)
    return std::nullopt;
  if (!validSessionName(id.name)) {
    fail(error, "invalid session name \"" + id.name +
                  "\" (1-255 printable characters without spaces, ':', ',' or '=')");
    return std::nullopt;
  }
  return id;
}

std::string formatStreamId(const StreamId &id)
{
  std::string out = id.mode == StreamMode::Publish ? "publish:" : "read:";
  out += id.name;
  if (id.user)
    out += ":" + *id.user + ":" + id.password.value_or("");
  return out;
}

} // namespace vdi::srt
