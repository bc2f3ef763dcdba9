/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Writing vdid config files in unit tests, and checking refusals. */

#pragma once

#include "config.h"
#include "test-util.h"

#include <string>
#include <vector>

namespace vdi::test {

inline std::string writeConfig(const std::string &text)
{
  return writeTempFile("vdid-XXXXXX.conf", text);
}

struct BadConfig {
  std::string text;   /* the file */
  std::string expect; /* what the error message must say */
};

/* Each of @bad is refused by vdid::Config::load with a message that says
 * what is wrong and names the file. */
inline void checkConfigsRefused(const std::vector<BadConfig> &bad)
{
  for (const BadConfig &b : bad) {
    std::string path = writeConfig(b.text);
    vdid::Config cfg;
    GError *error = nullptr;
    INFO(b.text);
    CHECK_FALSE(vdid::Config::load(path, &cfg, &error));
    REQUIRE(error);
    CHECK(std::string(error->message).find(b.expect) != std::string::npos);
    CHECK(std::string(error->message).find(path) != std::string::npos);
    g_clear_error(&error);
    unlink(path.c_str());
  }
}

} // namespace vdi::test
