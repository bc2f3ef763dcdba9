/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdid's D-Bus management API: org.gstvdi.Manager1 at /org/gstvdi/Manager1
 * (dbus/org.gstvdi.Manager1.xml, through gdbus-codegen) on the system bus
 * or the bus of `[dbus] bus`. Every call is authorised by its sender's Unix
 * uid and goes through Operations, as REST requests do; a Failure becomes
 * the D-Bus error org.gstvdi.Manager1.Error.KIND with the REST message.
 * Session signals go to the connections that may see the session only
 * (bus-peers.h).
 *
 * Without a bus vdid runs on (a warning), unless `[dbus] required`.
 */

#pragma once

#include "bus-peers.h"
#include "operations.h"

#include <gio/gio.h>

#include <functional>
#include <memory>
#include <set>
#include <string>

struct _VdidManager1;

namespace vdid {

/* The D-Bus error name of @failure. */
std::string dbusErrorName(Failure failure);

class DBusManager
{
public:
  DBusManager(const Config &config, Operations &operations);
  ~DBusManager();
  DBusManager(const DBusManager &) = delete;
  DBusManager &operator=(const DBusManager &) = delete;

  /* Connects to the bus (asynchronously), exports the object and owns the
   * name. @failed gets why when any of it fails, or when the bus goes away
   * later. */
  void start(std::function<void(const std::string &why)> failed);
  /* For SessionManager::on_state_changed: sends SessionAdded,
   * SessionStateChanged or SessionRemoved. */
  void sessionChanged(const Session &s);
  /* For SessionManager::on_tier_changed: sends SessionTierChanged with
   * the name of the session's new tier and the reason it moved. */
  void tierChanged(const Session &s, const std::string &tier);

private:
  void connected(GDBusConnection *connection);
  void fail(const std::string &why);
  /* Leaves the bus (unexports, forgets its peers). */
  void disconnect();
  /* Runs @then with the identity of @invocation's sender, or answers the
   * call with the error. */
  void withCaller(GDBusMethodInvocation *invocation, std::function<void(const Identity &)> then);
  void emit(const Session &s, const char *signal, GVariant *parameters);
  void connectHandlers();

  const Config &config_;
  Operations &ops_;
  std::function<void(const std::string &)> failed_;
  GCancellable *cancellable_;
  GDBusConnection *connection_ = nullptr;
  _VdidManager1 *skeleton_ = nullptr;
  bool exported_ = false;
  std::unique_ptr<BusPeers> peers_;
  std::set<std::string> announced_;
  std::string bus_name_; /* for messages: "the system bus" or the address */
};

} // namespace vdid
