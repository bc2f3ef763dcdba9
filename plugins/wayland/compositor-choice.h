/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Which way to reach the compositor: the `backend` property of
 * vdiwaylandsrc and vdiinputsink (a registered enum), the `bus-address`
 * property, and the one function that opens capture for a setting:
 * wlr-screencopy on the Wayland socket, or Mutter's ScreenCast (and
 * RemoteDesktop, shared with injection) on the session bus. `auto` takes
 * wlr-screencopy when the compositor offers it, else Mutter.
 */

#pragma once

#include "capture-backend.h"
#include "mutter-session.h"
#include "wayland-connection.h"

#include <glib-object.h>

#include <memory>
#include <string>

G_BEGIN_DECLS
typedef enum {
  GST_VDI_BACKEND_AUTO = 0,
  GST_VDI_BACKEND_WLR_SCREENCOPY = 1,
  GST_VDI_BACKEND_MUTTER = 2,
} GstVdiBackend;
GType gst_vdi_backend_get_type(void);
#define GST_TYPE_VDI_BACKEND (gst_vdi_backend_get_type())
G_END_DECLS

namespace vdi {

GParamSpec *backendParamSpec();
GParamSpec *busAddressParamSpec();

/* The PipeWire socket of the session whose Wayland socket is @display: the
 * pipewire-0 beside it when @display is an absolute path, else empty (the
 * default remote). */
std::string pipewireRemoteFor(const std::string &display);

struct CompositorLink {
  GstVdiBackend kind = GST_VDI_BACKEND_AUTO; /* what was chosen */
  WaylandConnectionPtr conn;                 /* wlr; may be set for Mutter too */
  std::shared_ptr<MutterSession> mutter;     /* Mutter */
  std::unique_ptr<CaptureBackend> capture;   /* when asked for */
  /* Where, for messages: the display or the bus address. */
  std::string where() const;
};

struct CompositorRequest {
  GstVdiBackend backend = GST_VDI_BACKEND_AUTO;
  std::string display;
  std::string output;
  std::string bus_address;
  bool show_cursor = true;
  /* Open a capture backend (vdiwaylandsrc) or only what injection needs. */
  bool capture = true;
};

/* The properties both elements reach their compositor with: `display`,
 * `output`, `backend` and `bus-address`, kept in a CompositorRequest. Set
 * or get the one @pspec names; false if it names none of them. The caller
 * holds its object lock. */
bool setCompositorProperty(CompositorRequest *request, const GParamSpec *pspec,
                           const GValue *value);
bool getCompositorProperty(const CompositorRequest &request, const GParamSpec *pspec,
                           GValue *value);

/* Opens the compositor as @request says. Errors are GST_RESOURCE_ERRORs a
 * user understands; with `auto`, a failure names both ways tried. */
bool openCompositor(const CompositorRequest &request, CompositorLink *link, GError **error);

} // namespace vdi
