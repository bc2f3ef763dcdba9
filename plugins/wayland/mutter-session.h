/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * MutterSession: one org.gnome.Mutter.RemoteDesktop session with its linked
 * org.gnome.Mutter.ScreenCast session and one monitor stream, on a D-Bus
 * session bus. The Mutter capture backend reads the stream's PipeWire node;
 * the Mutter injector sends input and clipboard through the same remote
 * desktop session (absolute pointer and touch coordinates need the stream).
 *
 * D-Bus signals (stream added, session closed, selection changes, Mutter
 * leaving the bus) are handled on the session's own vdi::EventLoop thread.
 * Proxies come from gdbus-codegen (dbus/org.gnome.Mutter.*.xml, the API of
 * Mutter 43): typed calls, and Unix fd passing for the selection.
 */

#pragma once

#include "event-loop.h"
#include "mutter-dbus.h"

#include <gio/gio.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace vdi {

/* How the pointer reaches the frames (ScreenCast cursor-mode). */
enum class MutterCursorMode : uint32_t { Hidden = 0, Embedded = 1, Metadata = 2 };

struct MutterSessionOptions {
  /* D-Bus address of the session bus; empty: the process's session bus. */
  std::string bus_address;
  /* Connector to record (e.g. Meta-0); empty: the primary monitor. */
  std::string output;
  MutterCursorMode cursor_mode = MutterCursorMode::Embedded;
  /* How long Mutter may take to announce the PipeWire stream. */
  int stream_timeout_ms = 5000;
};

class MutterSession
{
public:
  /* Connects, creates and starts the sessions and waits for the stream's
   * PipeWire node. Fails with a GST_RESOURCE_ERROR a user understands: no
   * session bus (OPEN_READ), no Mutter ScreenCast service on it (NOT_FOUND,
   * names the service and the bus), unknown monitor (NOT_FOUND), a stream
   * that never starts (FAILED). */
  static std::shared_ptr<MutterSession> create(const MutterSessionOptions &options, GError **error);
  ~MutterSession();
  MutterSession(const MutterSession &) = delete;
  MutterSession &operator=(const MutterSession &) = delete;

  uint32_t nodeId() const { return node_id_; }
  /* The ScreenCast stream's object path, for NotifyPointerMotionAbsolute. */
  const std::string &streamPath() const { return stream_path_; }
  /* The recorded connector, or "primary monitor". */
  std::string outputName() const;
  const std::string &busAddress() const { return bus_address_; }
  /* Monitor size in logical pixels as Mutter reports it (0 if unknown). */
  void streamSize(int *width, int *height) const;

  VdiMutterRemoteDesktopSession *remoteDesktop() const { return rd_session_; }
  GDBusConnection *bus() const { return bus_; }

  /* Called once (session thread) when the session ends: Mutter closed it
   * or left the bus. */
  unsigned addClosedCallback(std::function<void(const GError *error)> callback);
  void removeClosedCallback(unsigned id);
  bool closed() const;

  /* Runs @fn on the session's D-Bus thread and waits for it. */
  void invoke(const std::function<void()> &fn);

private:
  MutterSession() = default;
  bool setUp(const MutterSessionOptions &options, GError **error);
  void markClosed(const char *why);

  std::string bus_address_;
  std::string output_;
  std::string stream_path_;
  uint32_t node_id_ = 0;

  EventLoop loop_{"vdi-mutter-dbus"};

  GDBusConnection *bus_ = nullptr;
  VdiMutterRemoteDesktopSession *rd_session_ = nullptr;
  VdiMutterScreenCastSession *sc_session_ = nullptr;
  VdiMutterScreenCastStream *stream_ = nullptr;
  guint name_watch_ = 0;

  mutable std::mutex lock_;
  std::condition_variable cond_;
  std::vector<std::pair<unsigned, std::function<void(const GError *)>>> closed_callbacks_;
  unsigned next_callback_ = 1;
  bool closed_ = false;
  bool started_ = false;
};

} // namespace vdi
