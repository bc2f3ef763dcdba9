/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * What vdid's two modes, a node (main.cpp) and a front door
 * (door-main.cpp), set up the same way.
 */

#pragma once

#include "auth.h"
#include "config.h"

#include <glib.h>

namespace vdid {

/* Users, admins, cookie lifetime, login limits and the fleet secret of
 * @config. */
Auth::Options authOptions(const Config &config);

/* SIGTERM and SIGINT quit @loop. */
void quitOnSignals(GMainLoop *loop);

} // namespace vdid
