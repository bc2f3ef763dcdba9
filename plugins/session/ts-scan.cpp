/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "ts-scan.h"

namespace vdi::srt {

namespace {

bool isVideoStreamType(uint8_t type)
{
  switch (type) {
  case 0x01: /* MPEG-1 video */
  case 0x02: /* MPEG-2 video */
  case 0x10: /* MPEG-4 part 2 */
  case 0x1b: /* H.264 */
  case 0x24: /* H.265 */
  case 0x33: /* H.266 */
  case 0xd1: /* Dirac */
  case 0xea: /* VC-1 */
    return true;
  default:
    return false;
  }
}

/* The section of a PSI packet payload (after the pointer field), or size 0. */
const uint8_t *psiSection(const uint8_t *payload, size_t size, size_t *section_size)
{
  *section_size = 0;
  if (size < 1)
    return nullptr;
  size_t pointer = payload[0];
  if (1 + pointer + 3 > size)
    return nullptr;
  const uint8_t *sec = payload + 1 + pointer;
  size_t avail = size - 1 - pointer;
  size_t len = 3 + (((sec[1] & 0x0f) << 8) | sec[2]);
  if (len > avail || len < 12)
    return nullptr;
  *section_size = len;
  return sec;
}

} // namespace

void TsScanner::parsePat(const uint8_t *payload, size_t size)
{
  size_t len = 0;
  const uint8_t *sec = psiSection(payload, size, &len);
  if (!sec || sec[0] != 0x00)
    return;
  /* 8 bytes of header, 4 of CRC; program entries of 4 bytes. */
  for (size_t i = 8; i + 4 <= len - 4; i += 4) {
    int program = (sec[i] << 8) | sec[i + 1];
    int pid = ((sec[i + 2] & 0x1f) << 8) | sec[i + 3];
    if (program != 0) {
      if (pid != pmt_pid_) {
        pmt_pid_ = pid;
        pmt_.clear();
        video_pid_ = -1;
      }
      return;
    }
  }
}

void TsScanner::parsePmt(const uint8_t *payload, size_t size)
{
  size_t len = 0;
  const uint8_t *sec = psiSection(payload, size, &len);
  if (!sec || sec[0] != 0x02)
    return;
  size_t info_len = ((sec[10] & 0x0f) << 8) | sec[11];
  size_t i = 12 + info_len;
  int first_pid = -1, video = -1;
  while (i + 5 <= len - 4) {
    uint8_t type = sec[i];
    int pid = ((sec[i + 1] & 0x1f) << 8) | sec[i + 2];
    size_t es_info = ((sec[i + 3] & 0x0f) << 8) | sec[i + 4];
    if (first_pid < 0)
      first_pid = pid;
    if (video < 0 && isVideoStreamType(type))
      video = pid;
    i += 5 + es_info;
  }
  video_pid_ = video >= 0 ? video : first_pid;
}

bool TsScanner::feed(const uint8_t *p)
{
  if (p[0] != 0x47)
    return false;
  bool pusi = p[1] & 0x40;
  int pid = ((p[1] & 0x1f) << 8) | p[2];
  int afc = (p[3] >> 4) & 0x3;
  size_t offset = 4;
  bool rai = false;
  if (afc & 0x2) {
    size_t af_len = p[4];
    if (af_len > 0 && 5 + af_len <= kTsPacketSize)
      rai = p[5] & 0x40;
    offset = 5 + af_len;
  }
  if (!(afc & 0x1) || offset >= kTsPacketSize)
    return false; /* no payload */

  if (pid == 0 && pusi) {
    parsePat(p + offset, kTsPacketSize - offset);
    pat_.assign(reinterpret_cast<const char *>(p), kTsPacketSize);
    return false;
  }
  if (pid == pmt_pid_ && pusi) {
    parsePmt(p + offset, kTsPacketSize - offset);
    pmt_.assign(reinterpret_cast<const char *>(p), kTsPacketSize);
    return false;
  }
  return pusi && rai && pid == video_pid_;
}

} // namespace vdi::srt
