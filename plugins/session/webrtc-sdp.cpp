/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "webrtc-sdp.h"

#include <glib.h>

#include <cstdlib>
#include <cstring>
#include <map>

namespace vdi::webrtc {

/* The value of @key in an fmtp parameter list ("a=1;b=2"), or "". */
static std::string fmtpParam(const std::string &params, const std::string &key)
{
  g_auto(GStrv) parts = g_strsplit(params.c_str(), ";", -1);
  for (char **p = parts; *p; p++) {
    g_strstrip(*p);
    if (g_str_has_prefix(*p, (key + "=").c_str()))
      return *p + key.size() + 1;
  }
  return {};
}

int chooseOfferedPayload(const GstSDPMessage *sdp, const std::string &encoding,
                         const std::string &profileIdc, std::string &profileLevelId,
                         const char *kind)
{
  for (guint m = 0; m < gst_sdp_message_medias_len(sdp); m++) {
    const GstSDPMedia *media = gst_sdp_message_get_media(sdp, m);
    if (g_strcmp0(gst_sdp_media_get_media(media), kind) != 0 || gst_sdp_media_get_port(media) == 0)
      continue;
    std::map<int, std::string> names, fmtps;
    for (guint i = 0; i < gst_sdp_media_attributes_len(media); i++) {
      const GstSDPAttribute *a = gst_sdp_media_get_attribute(media, i);
      if (!a->value)
        continue;
      char *rest = nullptr;
      long pt = strtol(a->value, &rest, 10);
      if (rest == a->value || pt < 0 || pt > 127 || *rest != ' ')
        continue;
      if (!g_strcmp0(a->key, "rtpmap"))
        names[int(pt)] = std::string(rest + 1, strcspn(rest + 1, "/"));
      else if (!g_strcmp0(a->key, "fmtp"))
        fmtps[int(pt)] = rest + 1;
    }
    int fallback = -1;
    std::string fallbackPli;
    for (guint f = 0; f < gst_sdp_media_formats_len(media); f++) {
      int pt = atoi(gst_sdp_media_get_format(media, f));
      if (g_ascii_strcasecmp(names[pt].c_str(), encoding.c_str()) != 0)
        continue;
      if (encoding != "H264")
        return pt;
      std::string mode = fmtpParam(fmtps[pt], "packetization-mode");
      std::string pli = fmtpParam(fmtps[pt], "profile-level-id");
      if (mode != "1" || pli.size() != 6)
        continue;
      if (g_ascii_strncasecmp(pli.c_str(), profileIdc.c_str(), profileIdc.size()) == 0) {
        profileLevelId = pli;
        return pt;
      }
      /* A constrained-baseline stream is also valid baseline. */
      if (fallback < 0 && profileIdc.rfind("42", 0) == 0 && pli.rfind("42", 0) == 0) {
        fallback = pt;
        fallbackPli = pli;
      }
    }
    if (fallback >= 0) {
      profileLevelId = fallbackPli;
      return fallback;
    }
  }
  return -1;
}

int offeredExtensionId(const GstSDPMessage *sdp, const char *uri, const char *kind)
{
  for (guint m = 0; m < gst_sdp_message_medias_len(sdp); m++) {
    const GstSDPMedia *media = gst_sdp_message_get_media(sdp, m);
    if (g_strcmp0(gst_sdp_media_get_media(media), kind) != 0 || gst_sdp_media_get_port(media) == 0)
      continue;
    for (guint i = 0; i < gst_sdp_media_attributes_len(media); i++) {
      const GstSDPAttribute *a = gst_sdp_media_get_attribute(media, i);
      if (g_strcmp0(a->key, "extmap") != 0 || !a->value)
        continue;
      char *rest = nullptr;
      long id = strtol(a->value, &rest, 10);
      if (rest == a->value || id < 1 || id > 255)
        continue;
      if (*rest == '/')
        rest += strcspn(rest, " ");
      if (*rest != ' ')
        continue;
      std::string name(rest + 1, strcspn(rest + 1, " "));
      if (name == uri)
        return int(id);
    }
    return -1;
  }
  return -1;
}

/* @value ("ID TRACK" or "SSRC msid:ID TRACK") with "-audio" after ID, or
 * "" when it is already separate or has no stream id. */
static std::string audioStreamValue(const std::string &value, bool ssrc)
{
  size_t start = 0;
  if (ssrc) {
    size_t m = value.find(" msid:");
    if (m == std::string::npos)
      return {};
    start = m + 6;
  }
  size_t end = value.find(' ', start);
  if (end == std::string::npos)
    end = value.size();
  static const std::string kSuffix = "-audio";
  if (end == start || (end - start >= kSuffix.size() &&
                       value.compare(end - kSuffix.size(), kSuffix.size(), kSuffix) == 0))
    return {};
  return value.substr(0, end) + kSuffix + value.substr(end);
}

void separateAudioStream(GstSDPMessage *sdp)
{
  for (guint m = 0; m < gst_sdp_message_medias_len(sdp); m++) {
    GstSDPMedia *media = const_cast<GstSDPMedia *>(gst_sdp_message_get_media(sdp, m));
    if (g_strcmp0(gst_sdp_media_get_media(media), "audio") != 0)
      continue;
    for (guint i = 0; i < gst_sdp_media_attributes_len(media); i++) {
      const GstSDPAttribute *a = gst_sdp_media_get_attribute(media, i);
      bool ssrc = !g_strcmp0(a->key, "ssrc");
      if (!a->value || (!ssrc && g_strcmp0(a->key, "msid") != 0))
        continue;
      std::string value = audioStreamValue(a->value, ssrc);
      if (value.empty())
        continue;
      GstSDPAttribute replacement;
      gst_sdp_attribute_set(&replacement, a->key, value.c_str());
      gst_sdp_media_replace_attribute(media, i, &replacement);
    }
  }
}

std::string profilePrefix(const char *profile)
{
  if (!g_strcmp0(profile, "constrained-baseline"))
    return "42e0";
  if (!g_strcmp0(profile, "baseline"))
    return "4200";
  if (!g_strcmp0(profile, "main"))
    return "4d";
  if (!g_strcmp0(profile, "high"))
    return "64";
  return "42e0";
}

} // namespace vdi::webrtc
