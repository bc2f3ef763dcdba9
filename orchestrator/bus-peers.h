/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The connections of a message bus and the Unix uid of each, as the bus
 * daemon says (GetConnectionUnixUser): who calls vdid's D-Bus API, and
 * to whom its signals go (dbus-manager.h sends each one only to the
 * connections whose uid may see the session). Follows NameOwnerChanged;
 * every lookup is asynchronous, on the thread-default main context.
 */

#pragma once

#include <gio/gio.h>
#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <string>

namespace vdid {

class BusPeers
{
public:
  /* Starts following @connection's unique names (ListNames, then
   * NameOwnerChanged). */
  explicit BusPeers(GDBusConnection *connection);
  ~BusPeers();
  BusPeers(const BusPeers &) = delete;
  BusPeers &operator=(const BusPeers &) = delete;

  /* The uid of @name (a unique name); asks the bus unless known. @done
   * gets nullopt when the bus does not know @name. */
  void lookup(const std::string &name, std::function<void(std::optional<uid_t>)> done);
  /* The connections whose uid is known, but this one's own. */
  const std::map<std::string, uid_t> &known() const { return uids_; }

private:
  static void nameOwnerChanged(GDBusConnection *, const char *, const char *, const char *,
                               const char *, GVariant *parameters, gpointer data);

  GDBusConnection *connection_;
  GCancellable *cancellable_;
  guint subscription_ = 0;
  std::map<std::string, uid_t> uids_;
};

} // namespace vdid
