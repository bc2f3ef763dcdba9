/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The injector: turns input events (GstNavigation events and the vdi-*
 * custom upstream events of input-message.h) into virtual keyboard
 * (zwp_virtual_keyboard_v1), virtual pointer (zwlr_virtual_pointer_v1) and
 * clipboard (zwlr_data_control_manager_v1) requests on a shared
 * WaylandConnection. vdiwaylandsrc (navigation events from downstream) and
 * vdiinputsink (JSON lines) both use it.
 *
 * Keys are typed exactly: a keysym is looked up in the active keymap and
 * typed with the modifiers of its level (Shift, AltGr); keysyms the layout
 * lacks get a temporary key. Every key and button pressed through an
 * injector is released by releaseAll() and when the injector goes.
 *
 * All Wayland work runs on the connection's event thread; inject() may be
 * called from any thread and returns once the requests are sent.
 */

#pragma once

#include "wayland-connection.h"

#include <gst/gst.h>

#include <functional>
#include <memory>
#include <string>

namespace vdi {

struct InjectorOptions {
  /* Output that absolute coordinates map onto; empty = the first one. */
  std::string output;
  /* Watch the session's clipboard and report changes to on_clipboard. */
  bool watch_clipboard = false;
  /* Largest clipboard content accepted either way, in bytes. */
  size_t clipboard_limit = 16 * 1024 * 1024;
  /* Create the virtual pointer only when the first pointer event comes.
   * A pointer device makes the compositor draw a cursor, also into
   * captures with show-cursor=false (software cursors); a capture that
   * never gets pointer input should not show one. */
  bool lazy_pointer = false;
  /* Called on the event thread. */
  std::function<void(const std::string &mime, GBytes *data)> on_clipboard;
  std::function<void(const std::string &message)> on_warning;
};

class Injector
{
public:
  enum class Result {
    Ok,       /* injected */
    Rejected, /* bad input: nothing was injected, the stream goes on */
    Failed,   /* the compositor connection is gone */
  };

  /* Binds the virtual keyboard and pointer managers (and data control when
   * the compositor has it) and uploads the default `us` keymap. Fails with
   * a GST_RESOURCE_ERROR when the compositor lacks the keyboard or pointer
   * protocol or the output does not exist. */
  static std::unique_ptr<Injector> create(const WaylandConnectionPtr &conn, InjectorOptions options,
                                          GError **error);
  ~Injector();
  Injector(const Injector &) = delete;
  Injector &operator=(const Injector &) = delete;

  /* Injects a navigation or vdi-* custom upstream event. */
  Result inject(GstEvent *event, std::string *error);

  /* Releases every key and button held, resets modifiers. */
  void releaseAll();

  void setClipboardLimit(size_t bytes);
  /* Name of the output absolute coordinates map onto. */
  std::string outputName() const;

  struct Impl;

private:
  Injector() = default;
  WaylandConnectionPtr conn_;
  std::shared_ptr<Impl> impl_;
};

} // namespace vdi
