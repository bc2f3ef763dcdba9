/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "dbus-manager.h"

#include "requests.h"
#include "vdid-manager1-gen.h"

#include <json-glib/json-glib.h>

#include <cstdio>

namespace vdid {

namespace {

constexpr const char *kName = "org.gstvdi.Manager1";
constexpr const char *kPath = "/org/gstvdi/Manager1";

GVariant *objectVariant(JsonObject *o);

/* A JSON value as the API's a{sv} members carry it (see the XML). */
GVariant *valueVariant(JsonNode *n)
{
  if (JSON_NODE_HOLDS_OBJECT(n))
    return objectVariant(json_node_get_object(n));
  if (JSON_NODE_HOLDS_ARRAY(n)) {
    JsonArray *a = json_node_get_array(n);
    bool strings = true;
    for (guint i = 0; i < json_array_get_length(a); i++) {
      JsonNode *e = json_array_get_element(a, i);
      strings = strings && JSON_NODE_HOLDS_VALUE(e) && json_node_get_value_type(e) == G_TYPE_STRING;
    }
    GVariantBuilder b;
    g_variant_builder_init(&b, strings ? G_VARIANT_TYPE("as") : G_VARIANT_TYPE("av"));
    for (guint i = 0; i < json_array_get_length(a); i++) {
      JsonNode *e = json_array_get_element(a, i);
      if (strings)
        g_variant_builder_add(&b, "s", json_node_get_string(e));
      else if (!JSON_NODE_HOLDS_NULL(e))
        g_variant_builder_add(&b, "v", valueVariant(e));
    }
    return g_variant_builder_end(&b);
  }
  switch (json_node_get_value_type(n)) {
  case G_TYPE_INT64:
    return g_variant_new_int64(json_node_get_int(n));
  case G_TYPE_DOUBLE:
    return g_variant_new_double(json_node_get_double(n));
  case G_TYPE_BOOLEAN:
    return g_variant_new_boolean(json_node_get_boolean(n));
  default:
    return g_variant_new_string(json_node_get_string(n) ? json_node_get_string(n) : "");
  }
}

GVariant *objectVariant(JsonObject *o)
{
  GVariantBuilder b;
  g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
  JsonObjectIter it;
  const char *name;
  JsonNode *value;
  json_object_iter_init(&it, o);
  while (json_object_iter_next(&it, &name, &value))
    if (!JSON_NODE_HOLDS_NULL(value))
      g_variant_builder_add(&b, "{sv}", name, valueVariant(value));
  return g_variant_builder_end(&b);
}

/* Takes @node (a JSON object). */
GVariant *takeObject(JsonNode *node)
{
  g_autoptr(JsonNode) owned = node;
  return objectVariant(json_node_get_object(owned));
}

/* An a{sv} of options as the JSON body REST would get, so that the same
 * parser (requests.h) checks it and says what is wrong. */
std::string optionsJson(GVariant *options)
{
  g_autoptr(JsonNode) node = json_gvariant_serialize(options);
  g_autofree char *text = json_to_string(node, FALSE);
  return text;
}

void returnFailure(GDBusMethodInvocation *invocation, const Outcome &outcome)
{
  g_dbus_method_invocation_return_dbus_error(invocation, dbusErrorName(outcome.failure).c_str(),
                                             outcome.message.c_str());
}

} // namespace

std::string dbusErrorName(Failure failure)
{
  const char *kind = "Failed";
  switch (failure) {
  case Failure::BadRequest:
    kind = "BadRequest";
    break;
  case Failure::Unauthorized:
    kind = "Unauthorized";
    break;
  case Failure::Forbidden:
    kind = "Forbidden";
    break;
  case Failure::NotFound:
    kind = "NotFound";
    break;
  case Failure::Conflict:
    kind = "Conflict";
    break;
  case Failure::LimitReached:
    kind = "LimitReached";
    break;
  case Failure::None:
  case Failure::Failed:
    break;
  }
  return std::string(kName) + ".Error." + kind;
}

DBusManager::DBusManager(const Config &config, Operations &operations)
  : config_(config), ops_(operations), cancellable_(g_cancellable_new()),
    skeleton_(vdid_manager1_skeleton_new())
{
  connectHandlers();
}

DBusManager::~DBusManager()
{
  g_cancellable_cancel(cancellable_);
  disconnect();
  g_signal_handlers_disconnect_by_data(skeleton_, this);
  g_object_unref(skeleton_);
  g_object_unref(cancellable_);
}

void DBusManager::start(std::function<void(const std::string &why)> failed)
{
  failed_ = std::move(failed);
  if (config_.dbus_bus == "none")
    return;
  std::string address = config_.dbus_bus;
  bus_name_ = address;
  if (address == "system") {
    g_autoptr(GError) error = nullptr;
    g_autofree char *system =
      g_dbus_address_get_for_bus_sync(G_BUS_TYPE_SYSTEM, cancellable_, &error);
    if (!system)
      return fail(std::string("no system bus: ") + error->message);
    address = system;
    bus_name_ = "the system bus (" + address + ")";
  }
  g_dbus_connection_new_for_address(
    address.c_str(),
    static_cast<GDBusConnectionFlags>(G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                      G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION),
    nullptr, cancellable_,
    [](GObject *, GAsyncResult *res, gpointer data) {
      g_autoptr(GError) error = nullptr;
      GDBusConnection *connection = g_dbus_connection_new_for_address_finish(res, &error);
      if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      auto *self = static_cast<DBusManager *>(data);
      if (!connection)
        return self->fail("cannot connect to " + self->bus_name_ + ": " + error->message);
      self->connected(connection);
    },
    this);
}

void DBusManager::connected(GDBusConnection *connection)
{
  connection_ = connection;
  /* A bus that goes away must not end vdid (GDBus would exit). */
  g_dbus_connection_set_exit_on_close(connection_, FALSE);
  g_signal_connect(connection_, "closed",
                   G_CALLBACK(+[](GDBusConnection *, gboolean, GError *, gpointer data) {
                     static_cast<DBusManager *>(data)->fail("the bus closed the connection");
                   }),
                   this);
  g_autoptr(GError) error = nullptr;
  if (!g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(skeleton_), connection_, kPath,
                                        &error))
    return fail(std::string("cannot export ") + kPath + ": " + error->message);
  exported_ = true;
  peers_ = std::make_unique<BusPeers>(connection_);
  /* Sessions from before the bus came are listed, not announced. */
  Identity all;
  all.admin = true;
  for (const auto &s : ops_.visible(all))
    announced_.insert(s->id);
  g_dbus_connection_call(
    connection_, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
    "RequestName", g_variant_new("(su)", kName, 4u /* DBUS_NAME_FLAG_DO_NOT_QUEUE */),
    G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, cancellable_,
    [](GObject *source, GAsyncResult *res, gpointer data) {
      g_autoptr(GError) error = nullptr;
      g_autoptr(GVariant) reply =
        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
      if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      auto *self = static_cast<DBusManager *>(data);
      if (!self->connection_) /* the bus went away first: said already */
        return;
      if (!reply)
        return self->fail(std::string("cannot own ") + kName + " on " + self->bus_name_ + ": " +
                          error->message);
      guint32 result = 0;
      g_variant_get(reply, "(u)", &result);
      if (result != 1 /* DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER */)
        return self->fail(std::string("another program owns ") + kName + " on " + self->bus_name_);
      printf("vdid: D-Bus API %s at %s on %s\n", kName, kPath, self->bus_name_.c_str());
      fflush(stdout);
    },
    this);
}

void DBusManager::disconnect()
{
  peers_.reset();
  if (exported_)
    g_dbus_interface_skeleton_unexport(G_DBUS_INTERFACE_SKELETON(skeleton_));
  exported_ = false;
  if (connection_)
    g_signal_handlers_disconnect_by_data(connection_, this);
  g_clear_object(&connection_);
  announced_.clear();
}

void DBusManager::fail(const std::string &why)
{
  disconnect();
  if (failed_)
    failed_(why);
}

void DBusManager::withCaller(GDBusMethodInvocation *invocation,
                             std::function<void(const Identity &)> then)
{
  const char *sender = g_dbus_method_invocation_get_sender(invocation);
  if (!sender || !peers_) {
    g_dbus_method_invocation_return_dbus_error(
      invocation, dbusErrorName(Failure::Unauthorized).c_str(), "the caller has no bus name");
    return;
  }
  peers_->lookup(sender, [this, invocation, then = std::move(then)](std::optional<uid_t> uid) {
    Outcome outcome;
    Identity id;
    if (!uid)
      outcome.fail(Failure::Unauthorized, "the bus does not know the caller's uid");
    else if (ops_.identityOfUid(*uid, &id, &outcome))
      return then(id);
    returnFailure(invocation, outcome);
  });
}

void DBusManager::connectHandlers()
{
  auto *object = skeleton_;
  g_signal_connect(
    object, "handle-list-sessions",
    G_CALLBACK(+[](VdidManager1 *, GDBusMethodInvocation *inv, gpointer data) -> gboolean {
      auto *self = static_cast<DBusManager *>(data);
      self->withCaller(inv, [self, inv](const Identity &id) {
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("aa{sv}"));
        for (const auto &s : self->ops_.visible(id))
          g_variant_builder_add_value(&b, takeObject(self->ops_.sessionJson(*s)));
        vdid_manager1_complete_list_sessions(self->skeleton_, inv, g_variant_builder_end(&b));
      });
      return TRUE;
    }),
    this);
  g_signal_connect(object, "handle-get-session",
                   G_CALLBACK(+[](VdidManager1 *, GDBusMethodInvocation *inv, const char *sid,
                                  gpointer data) -> gboolean {
                     auto *self = static_cast<DBusManager *>(data);
                     self->withCaller(inv, [self, inv, sid = std::string(sid)](const Identity &id) {
                       Outcome outcome;
                       auto s = self->ops_.find(id, sid, &outcome);
                       if (!s)
                         return returnFailure(inv, outcome);
                       vdid_manager1_complete_get_session(self->skeleton_, inv,
                                                          takeObject(self->ops_.sessionJson(*s)));
                     });
                     return TRUE;
                   }),
                   this);
  g_signal_connect(object, "handle-create-session",
                   G_CALLBACK(+[](VdidManager1 *, GDBusMethodInvocation *inv, GVariant *options,
                                  gpointer data) -> gboolean {
                     auto *self = static_cast<DBusManager *>(data);
                     std::string body = optionsJson(options);
                     self->withCaller(inv, [self, inv, body](const Identity &id) {
                       SessionSpec spec;
                       Outcome outcome;
                       if (!parseSessionRequest(body.data(), body.size(), &spec, &outcome.message))
                         return returnFailure(inv, {Failure::BadRequest, outcome.message});
                       auto s = self->ops_.create(id, spec, &outcome);
                       if (!s)
                         return returnFailure(inv, outcome);
                       vdid_manager1_complete_create_session(
                         self->skeleton_, inv, takeObject(self->ops_.sessionJson(*s)));
                     });
                     return TRUE;
                   }),
                   this);
  g_signal_connect(object, "handle-stop-session",
                   G_CALLBACK(+[](VdidManager1 *, GDBusMethodInvocation *inv, const char *sid,
                                  gpointer data) -> gboolean {
                     auto *self = static_cast<DBusManager *>(data);
                     self->withCaller(inv, [self, inv, sid = std::string(sid)](const Identity &id) {
                       Outcome outcome;
                       /* Answered once nothing of the session runs any more, as REST. */
                       VdidManager1 *skeleton = VDID_MANAGER1(g_object_ref(self->skeleton_));
                       bool stopping = self->ops_.stop(
                         id, sid,
                         [inv, skeleton] {
                           vdid_manager1_complete_stop_session(skeleton, inv);
                           g_object_unref(skeleton);
                         },
                         &outcome);
                       if (!stopping) {
                         g_object_unref(skeleton);
                         returnFailure(inv, outcome);
                       }
                     });
                     return TRUE;
                   }),
                   this);
  g_signal_connect(
    object, "handle-create-share",
    G_CALLBACK(+[](VdidManager1 *, GDBusMethodInvocation *inv, const char *sid, GVariant *options,
                   gpointer data) -> gboolean {
      auto *self = static_cast<DBusManager *>(data);
      std::string body = optionsJson(options);
      self->withCaller(inv, [self, inv, body, sid = std::string(sid)](const Identity &id) {
        ShareRequest request;
        Outcome outcome;
        if (!parseShareRequest(body.data(), body.size(), &request, &outcome.message))
          return returnFailure(inv, {Failure::BadRequest, outcome.message});
        ShareLink link;
        if (!self->ops_.share(id, sid, request, &link, &outcome))
          return returnFailure(inv, outcome);
        vdid_manager1_complete_create_share(self->skeleton_, inv,
                                            takeObject(Operations::shareJson(link)));
      });
      return TRUE;
    }),
    this);
  g_signal_connect(object, "handle-revoke-share",
                   G_CALLBACK(+[](VdidManager1 *, GDBusMethodInvocation *inv, const char *sid,
                                  const char *token, gpointer data) -> gboolean {
                     auto *self = static_cast<DBusManager *>(data);
                     self->withCaller(inv, [self, inv, sid = std::string(sid),
                                            token = std::string(token)](const Identity &id) {
                       Outcome outcome;
                       if (!self->ops_.revokeShare(id, sid, token, &outcome))
                         return returnFailure(inv, outcome);
                       vdid_manager1_complete_revoke_share(self->skeleton_, inv);
                     });
                     return TRUE;
                   }),
                   this);
  g_signal_connect(
    object, "handle-get-budgets",
    G_CALLBACK(+[](VdidManager1 *, GDBusMethodInvocation *inv, gpointer data) -> gboolean {
      auto *self = static_cast<DBusManager *>(data);
      self->withCaller(inv, [self, inv](const Identity &id) {
        Outcome outcome;
        JsonNode *budgets = self->ops_.budgets(id, &outcome);
        if (!budgets)
          return returnFailure(inv, outcome);
        vdid_manager1_complete_get_budgets(self->skeleton_, inv, takeObject(budgets));
      });
      return TRUE;
    }),
    this);
}

void DBusManager::emit(const Session &s, const char *signal, GVariant *parameters)
{
  g_variant_ref_sink(parameters);
  if (connection_ && peers_) {
    for (const auto &[name, uid] : peers_->known()) {
      Identity id;
      Outcome outcome;
      if (!ops_.identityOfUid(uid, &id, &outcome) || !Operations::maySee(id, s))
        continue;
      g_dbus_connection_emit_signal(connection_, name.c_str(), kPath, kName, signal, parameters,
                                    nullptr);
    }
  }
  g_variant_unref(parameters);
}

void DBusManager::tierChanged(const Session &s, const std::string &tier)
{
  if (announced_.count(s.id))
    emit(s, "SessionTierChanged",
         g_variant_new("(sss)", s.id.c_str(), tier.c_str(), s.tier_reason.c_str()));
}

void DBusManager::sessionChanged(const Session &s)
{
  /* Unclaimed pooled sessions are no one's yet. */
  if (s.in_pool || !connection_)
    return;
  if (s.state == SessionState::Stopped) {
    if (announced_.erase(s.id))
      emit(s, "SessionRemoved", g_variant_new("(s)", s.id.c_str()));
    return;
  }
  if (announced_.insert(s.id).second) {
    emit(s, "SessionAdded",
         g_variant_new("(s@a{sv})", s.id.c_str(), takeObject(ops_.sessionJson(s))));
    return;
  }
  emit(s, "SessionStateChanged",
       g_variant_new("(sss)", s.id.c_str(), sessionStateName(s.state),
                     s.state == SessionState::Failed ? s.reason.c_str() : ""));
}

} // namespace vdid
