/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* libFuzzer target: every vdid REST body parser on arbitrary bytes. */

#include "requests.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *text = reinterpret_cast<const char *>(data);
  std::string error;
  vdid::SessionSpec spec;
  if (vdid::parseSessionRequest(text, size, &spec, &error)) {
    for (const auto &app : spec.apps)
      if (app.empty() || app[0].empty())
        __builtin_trap(); /* the parser promised non-empty commands */
  } else if (error.empty()) {
    __builtin_trap(); /* every refusal says why */
  }
  vdid::LoginRequest login;
  if (!vdid::parseLoginRequest(text, size, &login, &error) && error.empty())
    __builtin_trap();
  vdid::ResizeRequest resize;
  if (vdid::parseResizeRequest(text, size, &resize, &error) &&
      (resize.width == 0 || resize.height == 0))
    __builtin_trap();
  vdid::ShareRequest share;
  vdid::parseShareRequest(text, size, &share, &error);
  return 0;
}
