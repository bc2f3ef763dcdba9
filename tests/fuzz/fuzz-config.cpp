/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * libFuzzer target: vdid's configuration file (config.h), read as root at
 * start. Invariants: no crash or leak; a refused file has a message that
 * names it; an accepted one has its values within the documented ranges.
 */

#include "config.h"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  std::string text(reinterpret_cast<const char *>(data), size);
  vdid::Config c;
  GError *error = nullptr;
  if (!vdid::Config::parse(text, "fuzz.conf", &c, &error)) {
    if (!error || !g_str_has_prefix(error->message, "fuzz.conf"))
      abort();
    g_error_free(error);
    return 0;
  }
  if (error || c.listen_port > 65535 || c.srt_port > 65535 || c.width < 64 || c.width > 8192 ||
      c.height < 64 || c.height > 8192 || c.fps < 1 || c.fps > 240 || c.max_sessions < 1 ||
      c.request_timeout_s < 1 || c.max_connections_per_address < 1)
    abort();
  for (const auto &u : c.pool_users)
    if (!c.users.count(u))
      abort();
  return 0;
}
