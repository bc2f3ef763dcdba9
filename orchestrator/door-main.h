/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdid as a front door (`[door]` in its configuration, docs/fleet.md): the
 * door's own API (door.h) and HAProxy in front of it and the nodes
 * (door-proxy.h). Runs until SIGTERM/SIGINT; returns the exit code.
 */

#pragma once

#include "config.h"

namespace vdid {

int runDoor(Config config);

} // namespace vdid
