/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Which criticals vdid-worker lets through under fatal-criticals: only
 * rtpsession's SSRC-table walk of GStreamer 1.22 (worker-criticals.h). */

#include "test-util.h"
#include "worker-criticals.h"

using vdid::isKnownLibraryCritical;

namespace {

constexpr const char *kForeach =
  "g_hash_table_foreach: assertion 'version == hash_table->version' failed";
const std::string kGlib = "/lib/x86_64-linux-gnu/libglib-2.0.so.0";
const std::string kRtpManager = "/lib/x86_64-linux-gnu/gstreamer-1.0/libgstrtpmanager.so";

} // namespace

TEST_CASE("rtpsession's hash table walk critical is spared, from libgstrtpmanager only",
          "[vdid][worker]")
{
  const std::string worker = "/usr/bin/vdid-worker";
  CHECK(isKnownLibraryCritical("GLib", kForeach, {worker, kGlib, kGlib, kRtpManager, kGlib}));
  /* The same critical from anywhere else stays fatal. */
  CHECK_FALSE(isKnownLibraryCritical(
    "GLib", kForeach, {worker, kGlib, "/lib/x86_64-linux-gnu/libgio-2.0.so.0", kRtpManager}));
  CHECK_FALSE(isKnownLibraryCritical("GLib", kForeach, {worker, kGlib, worker}));
  CHECK_FALSE(isKnownLibraryCritical("GLib", kForeach, {}));
  /* Other criticals, even from rtpsession, stay fatal. */
  CHECK_FALSE(isKnownLibraryCritical("GLib",
                                     "g_hash_table_foreach: assertion 'hash_table != NULL' "
                                     "failed",
                                     {worker, kGlib, kRtpManager}));
  CHECK_FALSE(isKnownLibraryCritical("GStreamer", kForeach, {worker, kGlib, kRtpManager}));
}
