/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Capture through Mutter's ScreenCast: the PipeWire stream of @session's
 * monitor stream, read with libpipewire (see mutter-backend.cpp).
 */

#pragma once

#include "capture-backend.h"
#include "mutter-session.h"

#include <memory>
#include <string>

namespace vdi {

/* @pipewire_remote: the PipeWire socket Mutter's stream lives on (an
 * absolute path), empty for the default ($PIPEWIRE_REMOTE or pipewire-0 in
 * $XDG_RUNTIME_DIR). */
std::unique_ptr<CaptureBackend> createMutterBackend(std::shared_ptr<MutterSession> session,
                                                    const std::string &pipewire_remote);

} // namespace vdi
