/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdid-worker runs with the tests' G_DEBUG=fatal-criticals, so a critical in
 * a session's pipeline fails the session. One critical of GStreamer 1.22
 * itself is let through as non-fatal (it is still logged): see
 * isKnownLibraryCritical.
 */

#pragma once

#include <glib.h>

#include <string>
#include <vector>

namespace vdid {

/* True for the critical GStreamer 1.22's rtpsession raises on its RTCP
 * thread: gst-plugins-good gst/rtpmanager/rtpsession.c,
 * rtp_session_on_timeout(), walks the session's SSRC table with
 * g_hash_table_foreach(..., generate_rtcp, ...) while the table changes
 * under it (seen when a second viewer joins a GNOME session, vdid-gnome),
 * and GLib answers "g_hash_table_foreach: assertion 'version ==
 * hash_table->version' failed". The walk just stops early for that RTCP
 * round. @callers: the shared objects of the stack frames from the log call
 * outwards; the critical counts only when the first of them outside GLib is
 * libgstrtpmanager.so. */
bool isKnownLibraryCritical(const char *domain, const char *message,
                            const std::vector<std::string> &callers);

/* Installs the fatal-log filter that spares the critical above (and only
 * it) under fatal-criticals. */
void spareKnownLibraryCriticals();

} // namespace vdid
