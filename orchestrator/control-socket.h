/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The control channel between vdid and vdid-srt: an AF_UNIX SOCK_SEQPACKET
 * socket pair, one JSON object per packet, and at most one file descriptor
 * passed along with a packet (SCM_RIGHTS). Packet boundaries are kept, so
 * there is no framing to get wrong.
 */

#pragma once

#include <json-glib/json-glib.h>

#include <functional>
#include <string>

namespace vdid {

constexpr size_t kControlPacketMax = 64 * 1024;

/* Sends @object (taken) and, if @fd >= 0, a copy of @fd. */
bool controlSend(int sock, JsonNode *object, int fd = -1);

/* Receives one packet: its text and the descriptor that came with it (-1
 * if none; the caller owns it). Returns false at EOF or on error. */
bool controlReceive(int sock, std::string *text, int *fd);

/* {"op": @op, ...} or {"event": @op, ...} in one expression. */
JsonNode *controlMessage(const char *kind, const char *name,
                         const std::function<void(JsonBuilder *)> &fill = {});

} // namespace vdid
