/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "h264-skip.h"

#include <gst/base/gstbitwriter.h>

#include <algorithm>
#include <cstring>

namespace vdi::h264 {

namespace {

constexpr guint8 kNalSlice = 1, kNalIdr = 5, kNalSps = 7, kNalPps = 8, kNalAud = 9;
constexpr uint8_t kStartCode[] = {0, 0, 0, 1};

/* H.264 9.3.4: the CABAC arithmetic encoder, with the tables of 9.3.3.2
 * (rangeTabLPS, Table 9-44; transIdxLPS, Table 9-45). Only what a slice of
 * skipped macroblocks needs: decisions and the terminating bin. */
const uint8_t kRangeTabLps[64][4] = {
  {128, 176, 208, 240}, {128, 167, 197, 227}, {128, 158, 187, 216}, {123, 150, 178, 205},
  {116, 142, 169, 195}, {111, 135, 160, 185}, {105, 128, 152, 175}, {100, 122, 144, 166},
  {95, 116, 137, 158},  {90, 110, 130, 150},  {85, 104, 123, 142},  {81, 99, 117, 135},
  {77, 94, 111, 128},   {73, 89, 105, 122},   {69, 85, 100, 116},   {66, 80, 95, 110},
  {62, 76, 90, 104},    {59, 72, 86, 99},     {56, 69, 81, 94},     {53, 65, 77, 89},
  {51, 62, 73, 85},     {48, 59, 69, 80},     {46, 56, 66, 76},     {43, 53, 63, 72},
  {41, 50, 59, 69},     {39, 48, 56, 65},     {37, 45, 54, 62},     {35, 43, 51, 59},
  {33, 41, 48, 56},     {32, 39, 46, 53},     {30, 37, 43, 50},     {29, 35, 41, 48},
  {27, 33, 39, 45},     {26, 31, 37, 43},     {24, 30, 35, 41},     {23, 28, 33, 39},
  {22, 27, 32, 37},     {21, 26, 30, 35},     {20, 24, 29, 33},     {19, 23, 27, 31},
  {18, 22, 26, 30},     {17, 21, 25, 28},     {16, 20, 23, 27},     {15, 19, 22, 25},
  {14, 18, 21, 24},     {14, 17, 20, 23},     {13, 16, 19, 22},     {12, 15, 18, 21},
  {12, 14, 17, 20},     {11, 14, 16, 19},     {11, 13, 15, 18},     {10, 12, 15, 17},
  {10, 12, 14, 16},     {9, 11, 13, 15},      {9, 11, 12, 14},      {8, 10, 12, 14},
  {8, 9, 11, 13},       {7, 9, 11, 12},       {7, 9, 10, 12},       {7, 8, 10, 11},
  {6, 8, 9, 11},        {6, 7, 9, 10},        {6, 7, 8, 9},         {2, 2, 2, 2},
};
const uint8_t kTransIdxLps[64] = {
  0,  0,  1,  2,  2,  4,  4,  5,  6,  7,  8,  9,  9,  11, 11, 12, 13, 13, 15, 15, 16, 16,
  18, 18, 19, 19, 21, 21, 22, 22, 23, 24, 24, 25, 26, 26, 27, 27, 28, 29, 29, 30, 30, 30,
  31, 32, 32, 33, 33, 33, 34, 34, 35, 35, 35, 36, 36, 36, 37, 37, 37, 38, 38, 63,
};

class CabacWriter
{
public:
  explicit CabacWriter(GstBitWriter *bw) : bw_(bw) {}

  /* 9.3.1.1: a context from its (m, n) and SliceQPY. */
  void initContext(int m, int n, int slice_qp)
  {
    int qp = std::clamp(slice_qp, 0, 51);
    int pre = std::clamp(((m * qp) >> 4) + n, 1, 126);
    if (pre <= 63) {
      state_ = 63 - pre;
      mps_ = 0;
    } else {
      state_ = pre - 64;
      mps_ = 1;
    }
  }

  /* 9.3.4.2, with the one context this writer holds. */
  void decision(int bin)
  {
    int lps = kRangeTabLps[state_][(range_ >> 6) & 3];
    range_ -= lps;
    if (bin != mps_) {
      low_ += range_;
      range_ = lps;
      if (state_ == 0)
        mps_ = 1 - mps_;
      state_ = kTransIdxLps[state_];
    } else if (state_ < 62) {
      state_++;
    }
    renorm();
  }

  /* 9.3.4.5: end_of_slice_flag; 1 flushes, its last bit being the
   * rbsp_stop_one_bit. */
  void terminate(int bin)
  {
    range_ -= 2;
    if (!bin) {
      renorm();
      return;
    }
    low_ += range_;
    range_ = 2;
    renorm();
    putBit((low_ >> 9) & 1);
    gst_bit_writer_put_bits_uint32(bw_, ((low_ >> 7) & 3) | 1, 2);
  }

private:
  void renorm()
  {
    while (range_ < 256) {
      if (low_ < 256) {
        putBit(0);
      } else if (low_ >= 512) {
        low_ -= 512;
        putBit(1);
      } else {
        low_ -= 256;
        outstanding_++;
      }
      range_ <<= 1;
      low_ <<= 1;
    }
  }

  void putBit(int bit)
  {
    if (first_)
      first_ = false;
    else
      gst_bit_writer_put_bits_uint32(bw_, bit, 1);
    for (; outstanding_ > 0; outstanding_--)
      gst_bit_writer_put_bits_uint32(bw_, 1 - bit, 1);
  }

  GstBitWriter *bw_;
  int low_ = 0, range_ = 510, outstanding_ = 0;
  bool first_ = true;
  int state_ = 0, mps_ = 0;
};

void putUe(GstBitWriter *bw, guint32 v)
{
  guint64 code = static_cast<guint64>(v) + 1;
  guint len = 0;
  while ((code >> len) > 1)
    len++;
  if (len > 0)
    gst_bit_writer_put_bits_uint32(bw, 0, len);
  gst_bit_writer_put_bits_uint64(bw, code, len + 1);
}

void putSe(GstBitWriter *bw, gint32 v)
{
  putUe(bw, v > 0 ? 2u * v - 1 : static_cast<guint32>(-2 * static_cast<gint64>(v)));
}

/* A reader of RBSP bits that can also overwrite fixed-width fields. */
struct Bits {
  std::vector<uint8_t> &data;
  size_t pos = 0;

  bool get(guint n, guint32 *v)
  {
    if (pos + n > data.size() * 8)
      return false;
    guint32 r = 0;
    for (guint i = 0; i < n; i++, pos++)
      r = (r << 1) | ((data[pos / 8] >> (7 - pos % 8)) & 1);
    *v = r;
    return true;
  }

  bool ue(guint32 *v)
  {
    guint zeros = 0;
    guint32 bit = 0;
    while (get(1, &bit) && bit == 0)
      if (++zeros > 31)
        return false;
    if (bit != 1)
      return false;
    guint32 rest = 0;
    if (!get(zeros, &rest))
      return false;
    *v = (1u << zeros) - 1 + rest;
    return true;
  }

  void set(size_t at, guint n, guint32 v)
  {
    for (guint i = 0; i < n; i++, at++) {
      uint8_t mask = 1 << (7 - at % 8);
      if ((v >> (n - 1 - i)) & 1)
        data[at / 8] |= mask;
      else
        data[at / 8] &= ~mask;
    }
  }
};

guint picSizeInMbs(const GstH264SPS &sps)
{
  return (sps.pic_width_in_mbs_minus1 + 1) * (sps.pic_height_in_map_units_minus1 + 1) *
         (sps.frame_mbs_only_flag ? 1 : 2);
}

} // namespace

std::vector<uint8_t> unescape(const uint8_t *data, size_t size)
{
  std::vector<uint8_t> out;
  out.reserve(size);
  int zeros = 0;
  for (size_t i = 0; i < size; i++) {
    if (zeros >= 2 && data[i] == 3) {
      zeros = 0;
      continue;
    }
    out.push_back(data[i]);
    zeros = data[i] == 0 ? zeros + 1 : 0;
  }
  return out;
}

void escape(const uint8_t *rbsp, size_t size, std::vector<uint8_t> &out)
{
  int zeros = 0;
  for (size_t i = 0; i < size; i++) {
    if (zeros >= 2 && rbsp[i] <= 3) {
      out.push_back(3);
      zeros = 0;
    }
    out.push_back(rbsp[i]);
    zeros = rbsp[i] == 0 ? zeros + 1 : 0;
  }
  /* A payload may not end in 0x00 (7.4.1: cabac_zero_word's last byte). */
  if (size > 0 && rbsp[size - 1] == 0)
    out.push_back(3);
}

std::vector<uint8_t> skipSlice(const SkipPicture &p)
{
  const GstH264SPS &sps = *p.sps;
  const GstH264PPS &pps = *p.pps;
  GstBitWriter bw;
  gst_bit_writer_init_with_size(&bw, 64, FALSE);

  /* 7.3.3 slice_header() of a P slice. */
  putUe(&bw, 0); /* first_mb_in_slice */
  putUe(&bw, 0); /* slice_type: P */
  putUe(&bw, pps.id);
  gst_bit_writer_put_bits_uint32(&bw, p.frame_num, sps.log2_max_frame_num_minus4 + 4);
  if (sps.pic_order_cnt_type == 0) {
    gst_bit_writer_put_bits_uint32(&bw, p.poc_lsb, sps.log2_max_pic_order_cnt_lsb_minus4 + 4);
    if (pps.pic_order_present_flag)
      putSe(&bw, 0); /* delta_pic_order_cnt_bottom */
  }
  if (pps.redundant_pic_cnt_present_flag)
    putUe(&bw, 0);
  /* One reference: the previous picture. */
  if (pps.num_ref_idx_l0_active_minus1 == 0) {
    gst_bit_writer_put_bits_uint32(&bw, 0, 1); /* num_ref_idx_active_override_flag */
  } else {
    gst_bit_writer_put_bits_uint32(&bw, 1, 1);
    putUe(&bw, 0);
  }
  gst_bit_writer_put_bits_uint32(&bw, 0, 1); /* ref_pic_list_modification_flag_l0 */
  if (pps.weighted_pred_flag) {
    /* pred_weight_table(): no explicit weights, so the default ones. */
    putUe(&bw, 0); /* luma_log2_weight_denom */
    if (sps.chroma_array_type != 0)
      putUe(&bw, 0);                           /* chroma_log2_weight_denom */
    gst_bit_writer_put_bits_uint32(&bw, 0, 1); /* luma_weight_l0_flag */
    if (sps.chroma_array_type != 0)
      gst_bit_writer_put_bits_uint32(&bw, 0, 1); /* chroma_weight_l0_flag */
  }
  if (p.nal_ref_idc != 0)
    gst_bit_writer_put_bits_uint32(&bw, 0, 1); /* adaptive_ref_pic_marking_mode_flag */
  if (pps.entropy_coding_mode_flag)
    putUe(&bw, 0); /* cabac_init_idc */
  putSe(&bw, 0);   /* slice_qp_delta */
  if (pps.deblocking_filter_control_present_flag)
    putUe(&bw, 1); /* disable_deblocking_filter_idc: off */

  /* 7.3.4 slice_data(): every macroblock skipped. */
  guint mbs = picSizeInMbs(sps);
  if (!pps.entropy_coding_mode_flag) {
    putUe(&bw, mbs);                           /* mb_skip_run */
    gst_bit_writer_put_bits_uint32(&bw, 1, 1); /* rbsp_stop_one_bit */
    gst_bit_writer_align_bytes(&bw, 0);
  } else {
    gst_bit_writer_align_bytes(&bw, 1); /* cabac_alignment_one_bit */
    CabacWriter cabac(&bw);
    /* mb_skip_flag of a P slice: ctxIdx 11 + ctxIdxInc, and ctxIdxInc is 0
     * when the left and upper macroblocks are skipped or absent (9.3.3.1.1.1);
     * (m, n) = (23, 33) for cabac_init_idc 0 (Table 9-13). */
    cabac.initContext(23, 33, 26 + pps.pic_init_qp_minus26);
    for (guint i = 0; i < mbs; i++) {
      cabac.decision(1);             /* mb_skip_flag */
      cabac.terminate(i + 1 == mbs); /* end_of_slice_flag */
    }
    gst_bit_writer_align_bytes(&bw, 0);
  }

  std::vector<uint8_t> nal;
  nal.reserve(gst_bit_writer_get_size(&bw) / 8 + 8);
  nal.push_back(static_cast<uint8_t>((p.nal_ref_idc & 3) << 5 | kNalSlice));
  escape(gst_bit_writer_get_data(&bw), gst_bit_writer_get_size(&bw) / 8, nal);
  gst_bit_writer_reset(&bw);
  return nal;
}

bool renumberSlice(std::vector<uint8_t> &nal, const GstH264SPS &sps, guint frame_num_add,
                   guint poc_add)
{
  if (nal.size() < 2)
    return false;
  std::vector<uint8_t> rbsp = unescape(nal.data() + 1, nal.size() - 1);
  Bits bits{rbsp};
  guint32 v = 0;
  for (int i = 0; i < 3; i++) /* first_mb_in_slice, slice_type, pic_parameter_set_id */
    if (!bits.ue(&v))
      return false;
  if (sps.separate_colour_plane_flag && !bits.get(2, &v))
    return false;
  guint fn_bits = sps.log2_max_frame_num_minus4 + 4;
  size_t fn_at = bits.pos;
  if (!bits.get(fn_bits, &v))
    return false;
  bits.set(fn_at, fn_bits, (v + frame_num_add) % (1u << fn_bits));
  if (sps.pic_order_cnt_type == 0) {
    if (!sps.frame_mbs_only_flag) {
      guint32 field = 0;
      if (!bits.get(1, &field) || (field && !bits.get(1, &v)))
        return false;
    }
    guint poc_bits = sps.log2_max_pic_order_cnt_lsb_minus4 + 4;
    size_t poc_at = bits.pos;
    if (!bits.get(poc_bits, &v))
      return false;
    bits.set(poc_at, poc_bits, (v + poc_add) % (1u << poc_bits));
  }
  uint8_t header = nal[0];
  nal.clear();
  nal.push_back(header);
  escape(rbsp.data(), rbsp.size(), nal);
  return true;
}

SkipStream::SkipStream() : parser_(gst_h264_nal_parser_new()) {}

SkipStream::~SkipStream()
{
  gst_h264_nal_parser_free(parser_);
}

void SkipStream::reset()
{
  gst_h264_nal_parser_free(parser_);
  parser_ = gst_h264_nal_parser_new();
  started_ = false;
  why_ = "no picture yet";
  frame_num_add_ = poc_add_ = inserted_ = 0;
}

GstBuffer *SkipStream::push(GstBuffer *au)
{
  GstMapInfo map;
  if (!gst_buffer_map(au, &map, GST_MAP_READ)) {
    why_ = "unreadable buffer";
    return gst_buffer_ref(au);
  }
  struct Nal {
    guint offset, size;
    bool slice;
  };
  std::vector<Nal> nals;
  std::vector<GstH264SliceHdr> slices;
  GstH264NalUnit first_slice{};
  bool unreadable = false;
  GstH264NalUnit nalu;
  GstH264ParserResult res = gst_h264_parser_identify_nalu(parser_, map.data, 0, map.size, &nalu);
  while (res == GST_H264_PARSER_OK || res == GST_H264_PARSER_NO_NAL_END) {
    bool slice = nalu.type == kNalSlice || nalu.type == kNalIdr;
    if (nals.empty() && slices.empty() && nalu.type == kNalAud)
      with_aud_ = true;
    if (nalu.type == kNalSps || nalu.type == kNalPps) {
      if (gst_h264_parser_parse_nal(parser_, &nalu) != GST_H264_PARSER_OK)
        unreadable = true;
    } else if (slice) {
      GstH264SliceHdr hdr;
      if (gst_h264_parser_parse_slice_hdr(parser_, &nalu, &hdr, TRUE, TRUE) != GST_H264_PARSER_OK)
        unreadable = true;
      else {
        if (slices.empty())
          first_slice = nalu;
        slices.push_back(hdr);
      }
    }
    nals.push_back({nalu.offset, nalu.size, slice});
    if (res == GST_H264_PARSER_NO_NAL_END)
      break;
    res =
      gst_h264_parser_identify_nalu(parser_, map.data, nalu.offset + nalu.size, map.size, &nalu);
  }

  GstBuffer *out = nullptr;
  bool idr = !slices.empty() && first_slice.idr_pic_flag;
  if (idr)
    frame_num_add_ = poc_add_ = inserted_ = 0;
  if (!slices.empty() && !idr && (frame_num_add_ || poc_add_) && started_) {
    /* The encoder's numbers, moved past the pictures inserted. */
    std::vector<uint8_t> data;
    data.reserve(map.size + 16);
    for (const Nal &n : nals) {
      data.insert(data.end(), kStartCode, kStartCode + 4);
      std::vector<uint8_t> nal(map.data + n.offset, map.data + n.offset + n.size);
      if (n.slice && !renumberSlice(nal, sps_, frame_num_add_, poc_add_))
        unreadable = true;
      data.insert(data.end(), nal.begin(), nal.end());
    }
    out = gst_buffer_new_allocate(nullptr, data.size(), nullptr);
    gst_buffer_fill(out, 0, data.data(), data.size());
    gst_buffer_copy_into(out, au, GstBufferCopyFlags(GST_BUFFER_COPY_METADATA), 0, -1);
  }
  gst_buffer_unmap(au, &map);

  if (unreadable)
    why_ = "an unreadable NAL unit";
  else if (!slices.empty())
    readPicture(slices, first_slice);
  return out ? out : gst_buffer_ref(au);
}

void SkipStream::readPicture(const std::vector<GstH264SliceHdr> &slices,
                             const GstH264NalUnit &first)
{
  const GstH264SliceHdr &s = slices.front();
  if (first.idr_pic_flag)
    started_ = true;
  if (!started_) {
    why_ = "no IDR picture yet";
    return;
  }
  pps_ = *s.pps;
  sps_ = *s.pps->sequence;
  pps_.sequence = &sps_;

  why_.clear();
  if (!sps_.frame_mbs_only_flag)
    why_ = "the stream is interlaced (frame_mbs_only_flag 0)";
  else if (sps_.separate_colour_plane_flag)
    why_ = "the stream codes its colour planes apart";
  else if (sps_.pic_order_cnt_type == 1)
    why_ = "the stream uses pic_order_cnt_type 1";
  else if (sps_.num_ref_frames != 1)
    why_ = "the stream uses " + std::to_string(sps_.num_ref_frames) +
           " reference frames (only 1 can be extended exactly)";
  else if (pps_.num_slice_groups_minus1 > 0)
    why_ = "the stream uses slice groups";
  else if (first.ref_idc == 0)
    why_ = "the stream has non-reference pictures";
  for (const GstH264SliceHdr &h : slices)
    if (why_.empty() && !GST_H264_IS_P_SLICE(&h) && !GST_H264_IS_I_SLICE(&h))
      why_ = "the stream has B, SP or SI slices";
  if (first.ref_idc == 0)
    return; /* the numbers that count are the last reference picture's */

  last_ref_idc_ = first.ref_idc;
  guint max_fn = 1u << (sps_.log2_max_frame_num_minus4 + 4);
  guint max_poc = 1u << (sps_.log2_max_pic_order_cnt_lsb_minus4 + 4);
  last_frame_num_ = (s.frame_num + frame_num_add_) % max_fn;
  last_poc_lsb_ = (s.pic_order_cnt_lsb + poc_add_) % max_poc;
  /* memory_management_control_operation 5 restarts the numbering
   * (8.2.1: the picture counts as frame_num 0, POC 0 from then on). */
  for (guint i = 0; i < s.dec_ref_pic_marking.n_ref_pic_marking; i++)
    if (s.dec_ref_pic_marking.ref_pic_marking[i].memory_management_control_operation == 5) {
      last_frame_num_ = last_poc_lsb_ = 0;
      frame_num_add_ = poc_add_ = 0;
    }
}

GstBuffer *SkipStream::skip()
{
  if (!started_ || !canExtend())
    return nullptr;
  guint max_fn = 1u << (sps_.log2_max_frame_num_minus4 + 4);
  guint max_poc = 1u << (sps_.log2_max_pic_order_cnt_lsb_minus4 + 4);
  SkipPicture p;
  p.sps = &sps_;
  p.pps = &pps_;
  p.nal_ref_idc = last_ref_idc_;
  p.frame_num = (last_frame_num_ + 1) % max_fn;
  p.poc_lsb = (last_poc_lsb_ + 2) % max_poc;
  std::vector<uint8_t> nal = skipSlice(p);

  std::vector<uint8_t> data;
  if (with_aud_) {
    /* primary_pic_type 1 (I and P slices), rbsp_stop_one_bit. */
    const uint8_t aud[] = {0, 0, 0, 1, kNalAud, 0x30};
    data.insert(data.end(), aud, aud + sizeof(aud));
  }
  data.insert(data.end(), kStartCode, kStartCode + 4);
  data.insert(data.end(), nal.begin(), nal.end());
  GstBuffer *b = gst_buffer_new_allocate(nullptr, data.size(), nullptr);
  gst_buffer_fill(b, 0, data.data(), data.size());

  last_frame_num_ = p.frame_num;
  last_poc_lsb_ = p.poc_lsb;
  frame_num_add_ = (frame_num_add_ + 1) % max_fn;
  poc_add_ = (poc_add_ + 2) % max_poc;
  inserted_++;
  return b;
}

} // namespace vdi::h264
