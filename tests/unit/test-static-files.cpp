/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Which request paths name a static file (common/static-files.h). */

#include "static-files.h"
#include "test-util.h"

using vdi::staticFilePath;
using vdi::staticFileType;

TEST_CASE("plain relative names map under the root, / is the index", "[static-files]")
{
  CHECK(staticFilePath("/srv/web", "/") == "/srv/web/index.html");
  CHECK(staticFilePath("/srv/web", "") == "/srv/web/index.html");
  CHECK(staticFilePath("/srv/web", "/app/main.js") == "/srv/web/app/main.js");
  CHECK(staticFilePath("/srv/web", "/segment12.ts") == "/srv/web/segment12.ts");
}

TEST_CASE("traversal, odd characters and an empty root name no file", "[static-files]")
{
  for (const char *bad : {"/../etc/passwd", "/a/../../x", "/..", "/a b.html", "/x%2e%2e/y", "/a\\b",
                          "/dir/", "relative.html", "/a?b"})
    CHECK(staticFilePath("/srv/web", bad).empty());
  CHECK(staticFilePath("", "/index.html").empty());
  std::string nul("/a\0b", 4);
  CHECK(staticFilePath("/srv/web", nul).empty());
}

TEST_CASE("file types follow the name", "[static-files]")
{
  CHECK(std::string(staticFileType("x/index.html")) == "text/html; charset=utf-8");
  CHECK(std::string(staticFileType("a.js")) == "text/javascript; charset=utf-8");
  CHECK(std::string(staticFileType("a.js.map")) == "application/json");
  CHECK(std::string(staticFileType("segment1.ts")) == "video/mp2t");
  CHECK(std::string(staticFileType("index.m3u8")) == "application/vnd.apple.mpegurl");
  CHECK(std::string(staticFileType("blob")) == "application/octet-stream");
}
