/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "damage-meta.h"
#include "test-util.h"

using vdi::Rect;

TEST_CASE("damage rectangles round-trip through ROI metas", "[damage]")
{
  GstBuffer *buf = gst_buffer_new();
  std::vector<Rect> in = {{0, 0, 10, 10}, {100, 50, 64, 32}};
  vdi::addDamageMeta(buf, in);
  auto out = vdi::damageFromBuffer(buf);
  CHECK(out == in);

  /* Other ROI metas are not damage. */
  gst_buffer_add_video_region_of_interest_meta(buf, "face", 1, 2, 3, 4);
  CHECK(vdi::damageFromBuffer(buf).size() == 2);
  gst_buffer_unref(buf);
}

TEST_CASE("many damage rectangles merge into their bounding box", "[damage]")
{
  GstBuffer *buf = gst_buffer_new();
  std::vector<Rect> in;
  for (int i = 0; i < 40; i++)
    in.push_back({i * 10, i * 5, 4, 4});
  vdi::addDamageMeta(buf, in);
  auto out = vdi::damageFromBuffer(buf);
  REQUIRE(out.size() == 1);
  CHECK(out[0] == Rect{0, 0, 394, 199});
  gst_buffer_unref(buf);
}

TEST_CASE("no damage means no meta", "[damage]")
{
  GstBuffer *buf = gst_buffer_new();
  vdi::addDamageMeta(buf, {});
  CHECK(vdi::damageFromBuffer(buf).empty());
  gst_buffer_unref(buf);
}
