/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * What vdiwebrtcsink reads in a browser's SDP offer (WHEP, consumer-offer
 * signalling): which payload type to answer the stream's codec with, and
 * which id it gives an RTP header extension.
 */

#pragma once

#include <gst/sdp/sdp.h>

#include <string>

namespace vdi::webrtc {

/* Chooses, in @sdp, the payload type of the first @kind m-line that
 * carries @encoding: for H.264 one with packetization-mode=1 and the
 * profile of @profileIdc (any level: all browsers allow level asymmetry;
 * a constrained-baseline stream also matches a baseline offer), and sets
 * @profileLevelId to the offer's value. Returns -1 if none. (The
 * rtpmap/fmtp lines are read directly: gst_sdp_media_get_caps_from_media()
 * turns profile-level-id into a profile name and drops it.) */
int chooseOfferedPayload(const GstSDPMessage *sdp, const std::string &encoding,
                         const std::string &profileIdc, std::string &profileLevelId,
                         const char *kind = "video");

/* The id the first @kind m-line of @sdp gives RTP header extension @uri
 * (`a=extmap:ID[/direction] URI`), or -1 if it offers none. */
int offeredExtensionId(const GstSDPMessage *sdp, const char *uri, const char *kind = "video");

/* Puts the audio of @sdp (our offer or answer) into a media stream of its
 * own: webrtcbin gives every m-line the same msid stream id (its cname),
 * and a browser then plays the audio in sync with the video, held back by
 * the video's jitter buffer (a still desktop sends one frame a second).
 * Appends "-audio" to the stream id of the audio m-lines' `a=msid` and
 * `a=ssrc:N msid:` attributes; the track ids stay. */
void separateAudioStream(GstSDPMessage *sdp);

/* The profile_idc + constraint prefix of profile-level-id for an H.264
 * profile name of caps ("constrained-baseline" -> "42e0"). */
std::string profilePrefix(const char *profile);

} // namespace vdi::webrtc
