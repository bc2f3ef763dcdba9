/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The injector: turns input events (GstNavigation events and the vdi-*
 * custom upstream events of input-message.h) into input for the
 * compositor. The wlroots one (injector.cpp) makes virtual keyboard
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

#include "keymap.h"
#include "wayland-connection.h"

#include <gst/gst.h>

#include <cstdint>
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

class MutterSession;

/* Injects input into a compositor; one implementation per backend. */
class Injector
{
public:
  enum class Result {
    Ok,       /* injected */
    Rejected, /* bad input: nothing was injected, the stream goes on */
    Failed,   /* the compositor connection is gone */
  };

  /* The wlroots injector: binds the virtual keyboard and pointer managers
   * (and data control when the compositor has it) and uploads the default
   * `us` keymap. Fails with a GST_RESOURCE_ERROR when the compositor lacks
   * the keyboard or pointer protocol or the output does not exist. */
  static std::unique_ptr<Injector> create(const WaylandConnectionPtr &conn, InjectorOptions options,
                                          GError **error);
  virtual ~Injector() = default;

  /* Injects a navigation or vdi-* custom upstream event. */
  virtual Result inject(GstEvent *event, std::string *error) = 0;

  /* Releases every key and button held, resets modifiers. */
  virtual void releaseAll() = 0;

  virtual void setClipboardLimit(size_t bytes) = 0;
  /* Name of the output absolute coordinates map onto. */
  virtual std::string outputName() const = 0;

protected:
  Injector() = default;
  Injector(const Injector &) = delete;
  Injector &operator=(const Injector &) = delete;
};

/* GstNavigation button numbers (gstwebrtc-api sends DOM button + 1) to
 * evdev codes; 0 for an unknown button. */
uint32_t evdevButton(int button);

/* The xkb names of a vdi-keyboard-layout event (layout, rules, model,
 * variant, options; absent fields empty). */
KeymapNames keymapNamesFrom(const GstStructure *s);

/* The Mutter injector (mutter-injector.cpp): input through @session's
 * RemoteDesktop session (keysyms, absolute pointer on its stream, buttons,
 * both scroll kinds, touch) and the clipboard through its selection API. */
std::unique_ptr<Injector> createMutterInjector(std::shared_ptr<MutterSession> session,
                                               InjectorOptions options, GError **error);

} // namespace vdi
