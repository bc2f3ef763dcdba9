/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "bus-peers.h"

#include <memory>

namespace vdid {

namespace {

/* One call to the bus daemon; @done gets the reply or nullptr (never
 * after the BusPeers is gone: the call is cancelled then). */
void callBus(GDBusConnection *connection, GCancellable *cancellable, const char *method,
             GVariant *parameters, const char *reply_type,
             std::function<void(GVariant *reply)> done)
{
  auto *cb = new std::function<void(GVariant *)>(std::move(done));
  g_dbus_connection_call(
    connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", method,
    parameters, G_VARIANT_TYPE(reply_type), G_DBUS_CALL_FLAGS_NONE, -1, cancellable,
    [](GObject *source, GAsyncResult *res, gpointer data) {
      std::unique_ptr<std::function<void(GVariant *)>> cb(
        static_cast<std::function<void(GVariant *)> *>(data));
      g_autoptr(GError) error = nullptr;
      g_autoptr(GVariant) reply =
        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
      if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      (*cb)(reply);
    },
    cb);
}

} // namespace

BusPeers::BusPeers(GDBusConnection *connection)
  : connection_(G_DBUS_CONNECTION(g_object_ref(connection))), cancellable_(g_cancellable_new())
{
  subscription_ = g_dbus_connection_signal_subscribe(
    connection_, "org.freedesktop.DBus", "org.freedesktop.DBus", "NameOwnerChanged",
    "/org/freedesktop/DBus", nullptr, G_DBUS_SIGNAL_FLAGS_NONE, nameOwnerChanged, this, nullptr);
  callBus(connection_, cancellable_, "ListNames", nullptr, "(as)", [this](GVariant *reply) {
    if (!reply)
      return;
    g_autoptr(GVariantIter) names = nullptr;
    g_variant_get(reply, "(as)", &names);
    const char *name;
    while (g_variant_iter_next(names, "&s", &name))
      if (name[0] == ':')
        lookup(name, [](std::optional<uid_t>) {});
  });
}

BusPeers::~BusPeers()
{
  g_cancellable_cancel(cancellable_);
  g_dbus_connection_signal_unsubscribe(connection_, subscription_);
  g_object_unref(cancellable_);
  g_object_unref(connection_);
}

void BusPeers::nameOwnerChanged(GDBusConnection *, const char *, const char *, const char *,
                                const char *, GVariant *parameters, gpointer data)
{
  auto *self = static_cast<BusPeers *>(data);
  const char *name, *old_owner, *new_owner;
  g_variant_get(parameters, "(&s&s&s)", &name, &old_owner, &new_owner);
  if (name[0] != ':')
    return;
  if (!*new_owner)
    self->uids_.erase(name);
  else if (!*old_owner)
    self->lookup(name, [](std::optional<uid_t>) {});
}

void BusPeers::lookup(const std::string &name, std::function<void(std::optional<uid_t>)> done)
{
  auto it = uids_.find(name);
  if (it != uids_.end())
    return done(it->second);
  callBus(connection_, cancellable_, "GetConnectionUnixUser", g_variant_new("(s)", name.c_str()),
          "(u)", [this, name, done = std::move(done)](GVariant *reply) {
            /* The bus answers an error for a name that is already gone. */
            if (!reply)
              return done(std::nullopt);
            guint32 uid = 0;
            g_variant_get(reply, "(u)", &uid);
            const char *own = g_dbus_connection_get_unique_name(connection_);
            if (!own || name != own)
              uids_[name] = uid;
            done(uid);
          });
}

} // namespace vdid
