/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdidamageconvert: after random sequences of damaged frames, repeats,
 * lost frames and buffers held (and drawn into) downstream, every output
 * frame equals, byte for byte, libyuv's whole-frame conversion of the same
 * input (the conversion the element uses; BT.601 limited range), and
 * stays equal for as long as it is held. The element's whole-frame output
 * is also within rounding of videoconvert with the same matrix.
 */

#include "damage-convert.h"
#include "damage-meta.h"
#include "gst-util.h"
#include "test-util.h"

#include <libyuv/convert_from_argb.h>

#include <deque>
#include <random>

using namespace vdi::test;
using vdi::Rect;

namespace {

/* What the "compositor" shows: BGRx with a padded stride, as SHM buffers
 * have. */
struct Screen {
  int width, height, stride;
  std::vector<uint8_t> pixels;
  Screen(int w, int h) : width(w), height(h), stride(w * 4 + 64), pixels(size_t(stride) * h) {}

  void fill(const Rect &r, std::mt19937 &rng, bool noise)
  {
    uint32_t colour = rng();
    for (int y = r.y; y < r.y + r.height; y++)
      for (int x = r.x; x < r.x + r.width; x++) {
        uint32_t c = noise ? rng() : colour;
        uint8_t *p = &pixels[size_t(y) * stride + size_t(x) * 4];
        p[0] = c & 0xff;
        p[1] = (c >> 8) & 0xff;
        p[2] = (c >> 16) & 0xff;
        p[3] = 0xff;
      }
  }
};

/* A frame as vdiwaylandsrc pushes it: pixels, video meta with the stride,
 * damage metas, the frame number as offset. */
GstBuffer *frameBuffer(const Screen &s, const std::vector<Rect> &damage, guint64 number)
{
  GstBuffer *buf = gst_buffer_new_allocate(nullptr, s.pixels.size(), nullptr);
  gst_buffer_fill(buf, 0, s.pixels.data(), s.pixels.size());
  gsize offset[GST_VIDEO_MAX_PLANES] = {0};
  gint stride[GST_VIDEO_MAX_PLANES] = {s.stride};
  gst_buffer_add_video_meta_full(buf, GST_VIDEO_FRAME_FLAG_NONE, GST_VIDEO_FORMAT_BGRx, s.width,
                                 s.height, 1, offset, stride);
  vdi::addDamageMeta(buf, damage);
  GST_BUFFER_OFFSET(buf) = number;
  return buf;
}

/* Planes packed tightly, for comparing. */
std::vector<uint8_t> packed(const vdi::PlaneImage &img)
{
  int cw = (img.width + 1) / 2, ch = (img.height + 1) / 2;
  std::vector<uint8_t> out;
  auto plane = [&](int i, int row_bytes, int rows) {
    for (int y = 0; y < rows; y++)
      out.insert(out.end(), img.data[i] + size_t(y) * img.stride[i],
                 img.data[i] + size_t(y) * img.stride[i] + row_bytes);
  };
  plane(0, img.width, img.height);
  if (img.format == GST_VIDEO_FORMAT_I420) {
    plane(1, cw, ch);
    plane(2, cw, ch);
  } else {
    plane(1, cw * 2, ch);
  }
  return out;
}

/* libyuv's whole-frame conversion of @s. */
std::vector<uint8_t> reference(const Screen &s, GstVideoFormat format)
{
  int cw = (s.width + 1) / 2, ch = (s.height + 1) / 2;
  std::vector<uint8_t> y(size_t(s.width) * s.height), u(size_t(cw) * ch * 2), v(size_t(cw) * ch);
  if (format == GST_VIDEO_FORMAT_I420)
    libyuv::ARGBToI420(s.pixels.data(), s.stride, y.data(), s.width, u.data(), cw, v.data(), cw,
                       s.width, s.height);
  else
    libyuv::ARGBToNV12(s.pixels.data(), s.stride, y.data(), s.width, u.data(), cw * 2, s.width,
                       s.height);
  vdi::PlaneImage img;
  img.format = format;
  img.width = s.width;
  img.height = s.height;
  img.data[0] = y.data();
  img.stride[0] = s.width;
  img.data[1] = u.data();
  img.stride[1] = format == GST_VIDEO_FORMAT_I420 ? cw : cw * 2;
  img.data[2] = v.data();
  img.stride[2] = cw;
  return packed(img);
}

std::vector<uint8_t> contents(GstBuffer *buf, const GstVideoInfo &info)
{
  GstVideoFrame frame;
  REQUIRE(gst_video_frame_map(&frame, const_cast<GstVideoInfo *>(&info), buf, GST_MAP_READ));
  auto out = packed(vdi::PlaneImage::fromFrame(&frame));
  gst_video_frame_unmap(&frame);
  return out;
}

guint64 stat(GstElement *e, const char *name)
{
  GstStructure *s = nullptr;
  g_object_get(e, "stats", &s, nullptr);
  guint64 v = 0;
  gst_structure_get_uint64(s, name, &v);
  gst_structure_free(s);
  return v;
}

/* An output buffer held "downstream", with the frame it must show. */
struct Held {
  Buffer buffer;
  std::vector<uint8_t> expected;
  int release_at;
};

struct Converter {
  HarnessPtr h;
  GstVideoInfo info;
  GstVideoFormat format;
  Converter(const Screen &s, GstVideoFormat fmt, bool follow_damage = true) : format(fmt)
  {
    h.reset(gst_harness_new("vdidamageconvert"));
    g_object_set(h->element, "follow-damage", follow_damage, nullptr);
    g_autofree char *in = g_strdup_printf(
      "video/x-raw,format=BGRx,width=%d,height=%d,framerate=30/1", s.width, s.height);
    gst_harness_set_src_caps_str(h.get(), in);
    gst_harness_set_sink_caps_str(h.get(), fmt == GST_VIDEO_FORMAT_I420
                                             ? "video/x-raw,format=I420"
                                             : "video/x-raw,format=NV12");
    gst_video_info_set_format(&info, fmt, s.width, s.height);
  }
  GstElement *element() const { return h->element; }
  Buffer convert(GstBuffer *in)
  {
    REQUIRE(gst_harness_push(h.get(), in) == GST_FLOW_OK);
    Buffer out(gst_harness_try_pull(h.get()));
    REQUIRE(out);
    return out;
  }
};

Rect randomRect(std::mt19937 &rng, int w, int h, int max_size)
{
  int rw = 1 + int(rng() % std::min(w, max_size)), rh = 1 + int(rng() % std::min(h, max_size));
  return {int(rng() % (w - rw + 1)), int(rng() % (h - rh + 1)), rw, rh};
}

/* Random damage sequences through one converter: changed boxes (solid or
 * noise, some reported larger than what changed), repeats, whole-frame
 * damage, outputs held for a while and some drawn into downstream. */
void randomSequence(int width, int height, GstVideoFormat format, uint32_t seed)
{
  INFO("seed " << seed << ", " << width << "x" << height << " "
               << gst_video_format_to_string(format));
  std::mt19937 rng(seed);
  Screen screen(width, height);
  screen.fill({0, 0, width, height}, rng, true);
  Converter conv(screen, format);
  std::deque<Held> held;
  guint64 number = 1;
  conv.convert(frameBuffer(screen, {{0, 0, width, height}}, number)).reset();

  for (int i = 0; i < 300; i++) {
    std::vector<Rect> damage;
    unsigned kind = rng() % 10;
    if (kind < 6) { /* a few boxes changed */
      int n = 1 + int(rng() % 4);
      for (int k = 0; k < n; k++) {
        Rect r = randomRect(rng, width, height, kind < 3 ? 24 : width);
        screen.fill(r, rng, rng() % 2);
        /* Compositors may report more than changed. */
        if (rng() % 4 == 0)
          r = vdi::alignToChroma({r.x - 3, r.y - 1, r.width + 7, r.height + 2}, width, height);
        damage.push_back(r);
      }
    } else if (kind == 6) { /* whole screen */
      screen.fill({0, 0, width, height}, rng, true);
      damage.push_back({0, 0, width, height});
    } /* else a repeat: nothing changed, no damage */
    if (!damage.empty())
      number++;
    Buffer out = conv.convert(frameBuffer(screen, damage, number));
    auto expected = reference(screen, format);
    INFO("frame " << i << ", " << damage.size() << " boxes");
    REQUIRE(contents(out.get(), conv.info) == expected);

    /* Hold some outputs downstream for a few frames. */
    if (rng() % 3 == 0)
      held.push_back({std::move(out), std::move(expected), i + 1 + int(rng() % 6)});
    while (!held.empty() && held.front().release_at <= i) {
      Held &h = held.front();
      /* Unchanged while it was held: nobody wrote into it. */
      REQUIRE(contents(h.buffer.get(), conv.info) == h.expected);
      if (rng() % 2 == 0) {
        /* A downstream element draws into the frame it was given (an
         * overlay): it must get its own memory, never the pool's. */
        GstBuffer *mine = gst_buffer_make_writable(h.buffer.release());
        GstMapInfo map;
        REQUIRE(gst_buffer_map(mine, &map, GST_MAP_WRITE));
        memset(map.data, 0x5a, map.size);
        gst_buffer_unmap(mine, &map);
        gst_buffer_unref(mine);
      }
      held.pop_front();
    }
  }
  CHECK(stat(conv.element(), "frames") == 301);
}

} // namespace

TEST_CASE("damage conversion equals whole-frame conversion after random damage", "[damageconvert]")
{
  randomSequence(320, 240, GST_VIDEO_FORMAT_I420, 1);
  randomSequence(331, 199, GST_VIDEO_FORMAT_I420, 2); /* odd sizes: edge chroma */
  randomSequence(320, 240, GST_VIDEO_FORMAT_NV12, 3);
  randomSequence(97, 61, GST_VIDEO_FORMAT_NV12, 4);
}

TEST_CASE("a typed character converts its cell, not the frame", "[damageconvert]")
{
  std::mt19937 rng(5);
  Screen screen(640, 480);
  screen.fill({0, 0, 640, 480}, rng, false);
  Converter conv(screen, GST_VIDEO_FORMAT_I420);
  conv.convert(frameBuffer(screen, {{0, 0, 640, 480}}, 1));
  guint64 before = stat(conv.element(), "converted-pixels");
  for (int i = 0; i < 20; i++) {
    Rect cell{8 + i * 10, 100, 10, 20};
    screen.fill(cell, rng, true);
    Buffer out = conv.convert(frameBuffer(screen, {cell}, 2 + i));
    REQUIRE(contents(out.get(), conv.info) == reference(screen, GST_VIDEO_FORMAT_I420));
  }
  /* 20 cells of 10x20, grown to even edges: at most 12x20 each. */
  CHECK(stat(conv.element(), "converted-pixels") - before <= 20u * 12 * 20);
  CHECK(stat(conv.element(), "full-frames") == 1);
  /* Copies catch recycled buffers up: a few cells each, never a frame. */
  CHECK(stat(conv.element(), "copied-pixels") < 20u * 640 * 48);
}

TEST_CASE("a frame lost before the converter costs a whole frame, not stale pixels",
          "[damageconvert]")
{
  std::mt19937 rng(6);
  Screen screen(160, 120);
  screen.fill({0, 0, 160, 120}, rng, true);
  Converter conv(screen, GST_VIDEO_FORMAT_I420);
  conv.convert(frameBuffer(screen, {{0, 0, 160, 120}}, 1));

  /* Frame 2 (which changed the top left) never arrives; frame 3 only says
   * what it changed itself. */
  screen.fill({0, 0, 40, 40}, rng, true);
  screen.fill({100, 80, 20, 20}, rng, true);
  Buffer out = conv.convert(frameBuffer(screen, {{100, 80, 20, 20}}, 3));
  CHECK(contents(out.get(), conv.info) == reference(screen, GST_VIDEO_FORMAT_I420));
  CHECK(stat(conv.element(), "full-frames") == 2);

  /* A DISCONT buffer, likewise. */
  screen.fill({0, 60, 40, 40}, rng, true);
  GstBuffer *in = frameBuffer(screen, {{0, 0, 2, 2}}, 4);
  GST_BUFFER_FLAG_SET(in, GST_BUFFER_FLAG_DISCONT);
  out = conv.convert(in);
  CHECK(contents(out.get(), conv.info) == reference(screen, GST_VIDEO_FORMAT_I420));
  CHECK(stat(conv.element(), "full-frames") == 3);
}

TEST_CASE("without damage metas every frame is converted whole", "[damageconvert]")
{
  std::mt19937 rng(7);
  Screen screen(64, 48);
  Converter conv(screen, GST_VIDEO_FORMAT_I420);
  for (int i = 0; i < 5; i++) {
    screen.fill({0, 0, 64, 48}, rng, true);
    GstBuffer *in = frameBuffer(screen, {}, GST_BUFFER_OFFSET_NONE);
    Buffer out = conv.convert(in);
    CHECK(contents(out.get(), conv.info) == reference(screen, GST_VIDEO_FORMAT_I420));
  }
  CHECK(stat(conv.element(), "full-frames") == 5);
}

TEST_CASE("follow-damage=false converts whole frames with the same result", "[damageconvert]")
{
  std::mt19937 rng(8);
  Screen screen(128, 96);
  screen.fill({0, 0, 128, 96}, rng, true);
  Converter conv(screen, GST_VIDEO_FORMAT_I420, false);
  for (int i = 0; i < 5; i++) {
    Rect r = randomRect(rng, 128, 96, 30);
    screen.fill(r, rng, true);
    Buffer out = conv.convert(frameBuffer(screen, {r}, 1 + i));
    CHECK(contents(out.get(), conv.info) == reference(screen, GST_VIDEO_FORMAT_I420));
  }
  CHECK(stat(conv.element(), "full-frames") == 5);
}

TEST_CASE("the output is videoconvert's BT.601 conversion within rounding", "[damageconvert]")
{
  std::mt19937 rng(9);
  Screen screen(256, 128);
  /* Flat boxes and noise: both matrices' rounding shows. */
  screen.fill({0, 0, 256, 128}, rng, true);
  for (int i = 0; i < 30; i++)
    screen.fill(randomRect(rng, 256, 128, 64), rng, false);
  Converter conv(screen, GST_VIDEO_FORMAT_I420);
  Buffer ours = conv.convert(frameBuffer(screen, {{0, 0, 256, 128}}, 1));
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps(conv.h->sinkpad);
  GstVideoInfo info;
  REQUIRE(gst_video_info_from_caps(&info, caps));
  CHECK(info.colorimetry.matrix == GST_VIDEO_COLOR_MATRIX_BT601);
  CHECK(info.colorimetry.range == GST_VIDEO_COLOR_RANGE_16_235);

  HarnessPtr vc(gst_harness_new("videoconvert"));
  gst_harness_set_src_caps_str(vc.get(), "video/x-raw,format=BGRx,width=256,height=128,"
                                         "framerate=30/1");
  gst_harness_set_sink_caps_str(vc.get(), "video/x-raw,format=I420,colorimetry=bt601");
  REQUIRE(gst_harness_push(vc.get(), frameBuffer(screen, {}, 1)) == GST_FLOW_OK);
  Buffer theirs(gst_harness_pull(vc.get()));
  REQUIRE(theirs);
  auto a = contents(ours.get(), conv.info), b = contents(theirs.get(), conv.info);
  REQUIRE(a.size() == b.size());
  int worst = 0;
  for (size_t i = 0; i < a.size(); i++)
    worst = std::max(worst, std::abs(int(a[i]) - int(b[i])));
  INFO("largest difference " << worst);
  CHECK(worst <= 2);
}
