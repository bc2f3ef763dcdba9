/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "static-files.h"

#include <cstring>

namespace vdi {

std::string staticFilePath(const std::string &root, const std::string &request_path)
{
  std::string rel = request_path.empty() || request_path == "/" ? "/index.html" : request_path;
  bool ok = !root.empty() && rel[0] == '/' && rel.find("..") == std::string::npos;
  for (char c : rel)
    ok = ok && c && (g_ascii_isalnum(c) || strchr("-_./", c));
  if (!ok || rel.back() == '/')
    return {};
  return root + rel;
}

const char *staticFileType(const std::string &path)
{
  static const struct {
    const char *suffix, *type;
  } types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".map", "application/json"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".wasm", "application/wasm"},
    {".ts", "video/mp2t"},
    {".m3u8", "application/vnd.apple.mpegurl"},
  };
  for (const auto &t : types)
    if (g_str_has_suffix(path.c_str(), t.suffix))
      return t.type;
  return "application/octet-stream";
}

unsigned serveStaticFile(SoupServerMessage *msg, const std::string &root,
                         const std::string &request_path)
{
  const char *method = soup_server_message_get_method(msg);
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
    return SOUP_STATUS_METHOD_NOT_ALLOWED;
  std::string file = staticFilePath(root, request_path);
  gchar *contents = nullptr;
  gsize length = 0;
  if (file.empty() || !g_file_test(file.c_str(), G_FILE_TEST_IS_REGULAR) ||
      !g_file_get_contents(file.c_str(), &contents, &length, nullptr))
    return SOUP_STATUS_NOT_FOUND;
  soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Cache-Control",
                               "no-cache");
  soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
  soup_server_message_set_response(msg, staticFileType(file), SOUP_MEMORY_TAKE, contents, length);
  return SOUP_STATUS_OK;
}

} // namespace vdi
