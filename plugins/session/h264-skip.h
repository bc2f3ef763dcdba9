/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * An H.264 stream extended by pictures in which nothing changed, for
 * vdih264keepalive.
 *
 * SkipStream reads each access unit of an encoder's byte stream (its
 * SPS/PPS with codecparsers' gsth264parser) and, where the stream allows
 * it, writes a P picture of one slice whose every macroblock is P_Skip
 * (slice header + mb_skip_run in CAVLC, or mb_skip_flag/end_of_slice_flag
 * through a CABAC engine of its own): refIdx 0 with a zero motion vector
 * on every macroblock, no residual, no deblocking, so a decoder shows the
 * previous picture again, bit-exact.
 *
 * The skipped pictures are reference pictures with frame_num (and, for
 * pic_order_cnt_type 0, pic_order_cnt_lsb) one step past the previous
 * one; the encoder does not know of them, so its later pictures are
 * renumbered by the count inserted since its last IDR (fixed-width fields,
 * rewritten in place). That is exact only when the encoder keeps one
 * reference frame (max_num_ref_frames 1): its next picture then predicts
 * from the picture before it, whose pixels the skipped ones repeat. A
 * stream that is interlaced, uses B or SP/SI slices, non-reference
 * pictures, more reference frames, POC type 1, slice groups or separate
 * colour planes cannot be extended: why() says what stops it.
 */

#pragma once

#include <gst/codecparsers/gsth264parser.h>
#include <gst/gst.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vdi::h264 {

/* The RBSP of a NAL unit's payload (emulation prevention bytes removed). */
std::vector<uint8_t> unescape(const uint8_t *data, size_t size);

/* Appends @rbsp to @out with emulation prevention bytes. */
void escape(const uint8_t *rbsp, size_t size, std::vector<uint8_t> &out);

/* What the skipped picture takes from the stream it extends. */
struct SkipPicture {
  const GstH264SPS *sps = nullptr;
  const GstH264PPS *pps = nullptr;
  guint8 nal_ref_idc = 1;
  guint frame_num = 0;
  guint poc_lsb = 0; /* pic_order_cnt_type 0 only */
};

/* The slice NAL unit (header byte + escaped payload, no start code) of a
 * picture whose every macroblock is P_Skip, in the entropy coding of
 * @p.pps. */
std::vector<uint8_t> skipSlice(const SkipPicture &p);

/* Adds @frame_num_add to frame_num and @poc_add to pic_order_cnt_lsb
 * (POC type 0) of the non-IDR slice NAL unit @nal (header byte + escaped
 * payload), modulo their ranges. False if its header cannot be read. */
bool renumberSlice(std::vector<uint8_t> &nal, const GstH264SPS &sps, guint frame_num_add,
                   guint poc_add);

/* Reads an encoder's access units and writes skipped pictures after them. */
class SkipStream
{
public:
  SkipStream();
  ~SkipStream();
  SkipStream(const SkipStream &) = delete;
  SkipStream &operator=(const SkipStream &) = delete;

  /* Reads the access unit @au (byte-stream) and returns what to push: @au
   * itself (a new reference) when nothing was renumbered, else a new buffer
   * with @au's metadata. */
  GstBuffer *push(GstBuffer *au);

  /* True when a skipped picture may follow the last access unit. */
  bool canExtend() const { return why_.empty(); }
  /* Why not, for the element's warning; empty when it can. */
  const std::string &why() const { return why_; }
  /* True once the stream has a picture (a skipped one needs one before). */
  bool started() const { return started_; }

  /* The next skipped picture as an access unit (AUD if the stream has
   * them, then the slice); nullptr unless canExtend(). Counts it. */
  GstBuffer *skip();

  /* Forgets the stream (flush, new caps): waits for the next IDR. */
  void reset();

  /* Skipped pictures since the last IDR (tests, debug). */
  guint inserted() const { return inserted_; }

private:
  void readPicture(const std::vector<GstH264SliceHdr> &slices, const GstH264NalUnit &first);

  GstH264NalParser *parser_;
  GstH264SPS sps_{};
  GstH264PPS pps_{};
  bool started_ = false, with_aud_ = false;
  std::string why_ = "no picture yet";
  guint8 last_ref_idc_ = 1;
  /* Output numbering of the last reference picture. */
  guint last_frame_num_ = 0, last_poc_lsb_ = 0;
  /* What is added to the encoder's numbers since its last IDR. */
  guint frame_num_add_ = 0, poc_add_ = 0;
  guint inserted_ = 0;
};

} // namespace vdi::h264
