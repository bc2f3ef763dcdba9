/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "worker-criticals.h"

#include <cstring>
#include <dlfcn.h>
#include <execinfo.h>

namespace vdid {

namespace {

constexpr const char *kForeachVersion =
  "g_hash_table_foreach: assertion 'version == hash_table->version' failed";

bool endsWith(const std::string &s, const char *suffix)
{
  size_t n = strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

/* The shared object of each frame of the calling thread's stack. */
std::vector<std::string> callerObjects()
{
  void *frames[32];
  int n = backtrace(frames, 32);
  std::vector<std::string> out;
  for (int i = 0; i < n; i++) {
    Dl_info info = {};
    out.emplace_back(dladdr(frames[i], &info) && info.dli_fname ? info.dli_fname : "");
  }
  return out;
}

gboolean fatalFilter(const gchar *domain, GLogLevelFlags, const gchar *message, gpointer)
{
  if (!message || !strstr(message, kForeachVersion))
    return TRUE;
  return !isKnownLibraryCritical(domain, message, callerObjects());
}

} // namespace

bool isKnownLibraryCritical(const char *domain, const char *message,
                            const std::vector<std::string> &callers)
{
  if (g_strcmp0(domain, "GLib") != 0 || !message || !strstr(message, kForeachVersion))
    return false;
  for (const auto &object : callers) {
    if (object.find("libglib-2.0.so") != std::string::npos || object.empty())
      continue;
    /* Our own frames (the filter, in the worker) come first: skip them. */
    if (object.find("vdid-worker") != std::string::npos)
      continue;
    return endsWith(object, "/libgstrtpmanager.so");
  }
  return false;
}

void spareKnownLibraryCriticals()
{
  /* Despite its name this works in any program: GLib asks the handler
   * whether a fatal message should abort (FALSE: it should not). */
  g_test_log_set_fatal_handler(fatalFilter, nullptr);
}

} // namespace vdid
