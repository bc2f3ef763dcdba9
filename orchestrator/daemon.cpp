/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "daemon.h"

#include <glib-unix.h>

#include <csignal>

namespace vdid {

Auth::Options authOptions(const Config &config)
{
  Auth::Options o;
  o.users = config.users;
  o.admins = config.admins;
  o.cookie_lifetime = config.cookie_lifetime;
  o.max_failures = config.max_failed_logins;
  o.failure_window = config.failed_login_window;
  o.fleet_secret = config.fleet_secret;
  return o;
}

void quitOnSignals(GMainLoop *loop)
{
  auto quit = [](gpointer data) -> gboolean {
    g_main_loop_quit(static_cast<GMainLoop *>(data));
    return G_SOURCE_REMOVE;
  };
  g_unix_signal_add(SIGTERM, quit, loop);
  g_unix_signal_add(SIGINT, quit, loop);
}

} // namespace vdid
