/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdid's D-Bus API (org.gstvdi.Manager1) on a private dbus-daemon of the
 * test's own, whose policy is the system bus's default one plus the
 * policy file vdid installs; real clients (gdbus call, gdbus monitor) run
 * as the test users, REST requests beside them.
 */

#include "browser-checks.h"
#include "vdid-fixture.h"

#include <fstream>
#include <pwd.h>
#include <regex>
#include <sys/wait.h>

using namespace std::chrono_literals;
using namespace vdi::test;

namespace {

constexpr const char *kDest = "org.gstvdi.Manager1";
constexpr const char *kPath = "/org/gstvdi/Manager1";

/* A dbus-daemon with the system bus's default policy (deny method calls
 * and names, allow signals and replies) and vdid's policy file from the
 * tree, on a socket every test user can reach. */
struct PrivateBus {
  std::string dir, address;
  std::unique_ptr<Process> daemon;

  PrivateBus()
  {
    g_autofree char *d = g_dir_make_tmp("vdid-bus-XXXXXX", nullptr);
    dir = d;
    chmod(d, 0755);
    std::string policy =
      std::string(g_getenv("VDI_SOURCE_ROOT")) + "/orchestrator/dbus/org.gstvdi.Manager1.conf";
    std::ofstream(dir + "/bus.conf")
      << "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n"
         " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
         "<busconfig>\n"
         "  <listen>unix:path="
      << dir
      << "/bus</listen>\n"
         "  <auth>EXTERNAL</auth>\n"
         "  <policy context=\"default\">\n"
         "    <allow user=\"*\"/>\n"
         "    <deny own=\"*\"/>\n"
         "    <deny send_type=\"method_call\"/>\n"
         "    <allow send_type=\"signal\"/>\n"
         "    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
         "    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"
         "    <allow receive_type=\"method_call\"/>\n"
         "    <allow receive_type=\"method_return\"/>\n"
         "    <allow receive_type=\"error\"/>\n"
         "    <allow receive_type=\"signal\"/>\n"
         "    <allow send_destination=\"org.freedesktop.DBus\"\n"
         "           send_interface=\"org.freedesktop.DBus\"/>\n"
         "    <allow send_destination=\"org.freedesktop.DBus\"\n"
         "           send_interface=\"org.freedesktop.DBus.Introspectable\"/>\n"
         "  </policy>\n"
         "  <include>"
      << policy
      << "</include>\n"
         "</busconfig>\n";
    daemon = std::make_unique<Process>(
      std::vector<std::string>{"dbus-daemon", "--config-file=" + dir + "/bus.conf", "--nofork",
                               "--print-address"},
      std::vector<std::string>{}, dir + "/daemon.log");
    auto line = daemon->readLine(10s);
    INFO(logTail(dir + "/daemon.log"));
    REQUIRE(line);
    address = "unix:path=" + dir + "/bus";
  }
  ~PrivateBus()
  {
    daemon.reset();
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir.c_str());
    (void)!system(cmd);
  }
};

/* What `gdbus call` printed: the reply (parsed) or the error line. */
struct Reply {
  int status = -1;
  GVariant *value = nullptr; /* the out tuple */
  std::string error;         /* "org.gstvdi.Manager1.Error.NotFound: no such session: ID" */
  ~Reply()
  {
    if (value)
      g_variant_unref(value);
  }
};

/* @user runs `gdbus call` of @method with @args (GVariant text). */
std::unique_ptr<Reply> call(const PrivateBus &bus, const std::string &user,
                            const std::string &method, const std::vector<std::string> &args = {},
                            const char *interface = "org.gstvdi.Manager1", const char *dest = kDest,
                            const char *path = kPath)
{
  std::vector<std::string> argv = {"runuser",
                                   "-u",
                                   user,
                                   "--",
                                   "gdbus",
                                   "call",
                                   "--address",
                                   bus.address,
                                   "--dest",
                                   dest,
                                   "--object-path",
                                   path,
                                   "--method",
                                   std::string(interface) + "." + method};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string err_path = bus.dir + "/call-" + std::to_string(g_random_int()) + ".err";
  Process p(argv, {}, err_path);
  std::string out;
  while (auto line = p.readLine(20s))
    out += *line;
  auto r = std::make_unique<Reply>();
  auto status = p.wait(10s);
  REQUIRE(status);
  r->status = *status;
  std::ifstream in(err_path);
  std::string err((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  unlink(err_path.c_str());
  static const std::string prefix = "Error: GDBus.Error:";
  if (size_t at = err.find(prefix); at != std::string::npos) {
    r->error = err.substr(at + prefix.size());
    while (!r->error.empty() && r->error.back() == '\n')
      r->error.pop_back();
  }
  if (r->status == 0) {
    g_autoptr(GError) error = nullptr;
    r->value = g_variant_parse(nullptr, out.c_str(), nullptr, nullptr, &error);
    INFO(out);
    REQUIRE(r->value);
  }
  return r;
}

/* A string member of an a{sv}. */
std::string str(GVariant *dict, const char *key)
{
  const char *v = nullptr;
  return g_variant_lookup(dict, key, "&s", &v) ? v : "";
}

/* Removes the null members of @n at every depth (D-Bus leaves them out). */
void dropNulls(JsonNode *n)
{
  if (JSON_NODE_HOLDS_ARRAY(n)) {
    JsonArray *a = json_node_get_array(n);
    for (guint i = 0; i < json_array_get_length(a); i++)
      dropNulls(json_array_get_element(a, i));
  }
  if (!JSON_NODE_HOLDS_OBJECT(n))
    return;
  JsonObject *o = json_node_get_object(n);
  GList *names = json_object_get_members(o);
  for (GList *l = names; l; l = l->next) {
    auto *name = static_cast<const char *>(l->data);
    if (JSON_NODE_HOLDS_NULL(json_object_get_member(o, name)))
      json_object_remove_member(o, name);
    else
      dropNulls(json_object_get_member(o, name));
  }
  g_list_free(names);
}

/* The first out argument of a reply. */
GVariant *out0(const Reply &r)
{
  return g_variant_get_child_value(r.value, 0);
}

/* `gdbus monitor` of vdid's signals as @user. */
struct Monitor {
  std::unique_ptr<Process> proc;
  std::vector<std::string> lines;

  Monitor(const PrivateBus &bus, const std::string &user)
  {
    proc = std::make_unique<Process>(std::vector<std::string>{
      "runuser", "-u", user, "--", "gdbus", "monitor", "--address", bus.address, "--dest", kDest});
    /* It prints who owns the name once it listens. */
    REQUIRE(proc->waitFor("The name " + std::string(kDest) + " is owned by", 10s));
  }
  /* Waits for a signal line naming @signal and @id; keeps every line. */
  bool waitSignal(const std::string &signal, const std::string &id,
                  std::chrono::milliseconds timeout = 20s)
  {
    for (const auto &l : lines)
      if (l.find("." + signal + " ('" + id + "'") != std::string::npos)
        return true;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto line = proc->readLine(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()));
      if (!line)
        return false;
      lines.push_back(*line);
      if (line->find("." + signal + " ('" + id + "'") != std::string::npos)
        return true;
    }
    return false;
  }
  bool saw(const std::string &text) const
  {
    for (const auto &l : lines)
      if (l.find(text) != std::string::npos)
        return true;
    return false;
  }
};

/* vdid with the test user, the second test user and bob (no Unix account)
 * in [users], exporting its API on @bus. */
std::unique_ptr<SessionVdid> vdidOn(const PrivateBus &bus, const std::string &extra = "")
{
  return std::make_unique<SessionVdid>(extra + "[users]\n" + secondTestUser() + "=" +
                                       hashOf("pw3") + "\n[dbus]\nbus=" + bus.address +
                                       "\nrequired=true\n");
}

/* A private bus and a vdid that owns its name there. */
struct BusVdid {
  PrivateBus bus;
  std::unique_ptr<SessionVdid> v;
  std::string other = secondTestUser();
  explicit BusVdid(const std::string &extra) : v(vdidOn(bus, extra))
  {
    REQUIRE(v->vdid->proc->waitFor("vdid: D-Bus API org.gstvdi.Manager1", 10s));
  }
};

#define REQUIRE_DBUS_TESTS()                                                                       \
  do {                                                                                             \
    REQUIRE_SESSIONS_POSSIBLE();                                                                   \
    if (!g_find_program_in_path("dbus-daemon") || !g_find_program_in_path("gdbus"))                \
      VDI_SKIP("dbus-daemon and gdbus are needed (apt-get install dbus libglib2.0-bin)");          \
    if (!getpwnam(secondTestUser().c_str()))                                                       \
      VDI_SKIP("the second test user " + secondTestUser() + " does not exist (./scripts/setup)");  \
  } while (0)

} // namespace

TEST_CASE("a user creates a session over D-Bus and a browser plays it through a D-Bus share link",
          "[vdid][dbus][browser]")
{
  REQUIRE_DBUS_TESTS();
  REQUIRE_BROWSER();
  BusVdid d("stream=true\n");
  auto &bus = d.bus;
  auto &v = d.v;
  Monitor monitor(bus, v->user);

  auto created = call(bus, v->user, "CreateSession", {"{'width': <640>, 'height': <480>}"});
  INFO(created->error);
  REQUIRE(created->status == 0);
  g_autoptr(GVariant) session = out0(*created);
  std::string id = str(session, "id");
  CHECK(str(session, "user") == v->user);
  CHECK(str(session, "state") == "starting");
  REQUIRE(monitor.waitSignal("SessionStateChanged", id));
  CHECK(monitor.saw("SessionStateChanged ('" + id + "', 'running', '')"));

  auto share = call(bus, v->user, "CreateShare", {id, "{'role': <'control'>}"});
  INFO(share->error);
  REQUIRE(share->status == 0);
  g_autoptr(GVariant) link = out0(*share);
  CHECK(str(link, "role") == "control");
  CHECK(str(link, "session") == id);
  std::string json = playShareLink(v->vdid->base, id, str(link, "token"));
  INFO(json);
  CHECK(json.find("\"error\"") == std::string::npos);
  CHECK(member(json, "width") == "640");
  CHECK(std::stoi(member(json, "frames")) >= 5);

  /* Revoked over D-Bus, the link no longer opens the session over REST. */
  Client c;
  std::string url = v->vdid->base + "/api/v1/sessions/" + id;
  CHECK(c.request("GET", url, "", "Bearer " + str(link, "token")).status == 200);
  CHECK(call(bus, v->user, "RevokeShare", {id, str(link, "token")})->status == 0);
  CHECK(c.request("GET", url, "", "Bearer " + str(link, "token")).status == 401);

  CHECK(call(bus, v->user, "StopSession", {id})->status == 0);
  CHECK(monitor.waitSignal("SessionRemoved", id));
  CHECK(c.request("GET", url, "", v->owner).status == 404);
}

TEST_CASE("over D-Bus another user can neither see nor stop a session, and errors are REST's",
          "[vdid][dbus]")
{
  REQUIRE_DBUS_TESTS();
  /* No sound server: its state would change between two reads. */
  BusVdid d("stream=false\naudio=false\n");
  auto &bus = d.bus;
  auto &v = d.v;
  const std::string &other = d.other;
  Client c;

  auto created = call(bus, v->user, "CreateSession", {"{}"});
  INFO(created->error);
  REQUIRE(created->status == 0);
  g_autoptr(GVariant) session = out0(*created);
  std::string id = str(session, "id");
  std::string url = v->vdid->base + "/api/v1/sessions/" + id;
  /* The session REST shows is the one D-Bus made. */
  CHECK(member(c.request("GET", url, "", v->owner).body, "user") == v->user);
  REQUIRE(waitState(c, url, v->owner) == "running");

  /* The other user: nothing to see, nothing to stop; the same answer as
   * for a session that does not exist, with REST's message. */
  auto list = call(bus, other, "ListSessions");
  REQUIRE(list->status == 0);
  g_autoptr(GVariant) sessions = out0(*list);
  CHECK(g_variant_n_children(sessions) == 0);
  std::string rest_404 = jsonError(c.request("GET", url, "", basic(other, "pw3")).body);
  CHECK(rest_404 == "no such session: " + id);
  for (const auto &[method, args] :
       std::vector<std::pair<std::string, std::vector<std::string>>>{{"GetSession", {id}},
                                                                     {"StopSession", {id}},
                                                                     {"CreateShare", {id, "{}"}},
                                                                     {"RevokeShare", {id, "x"}}}) {
    auto r = call(bus, other, method, args);
    INFO(method);
    CHECK(r->status != 0);
    CHECK(r->error == "org.gstvdi.Manager1.Error.NotFound: " + rest_404);
  }
  CHECK(member(c.request("GET", url, "", v->owner).body, "state") == "running");

  /* The owner and root (an admin) see it: REST's session object, member
   * for member (but its nulls). */
  auto mine = call(bus, v->user, "GetSession", {id});
  REQUIRE(mine->status == 0);
  g_autoptr(GVariant) got = out0(*mine);
  CHECK(str(got, "id") == id);
  g_autoptr(JsonNode) from_dbus = json_gvariant_serialize(got);
  g_autoptr(JsonParser) parser = json_parser_new();
  REQUIRE(json_parser_load_from_data(parser, c.request("GET", url, "", v->owner).body.c_str(), -1,
                                     nullptr));
  JsonNode *from_rest = json_parser_get_root(parser);
  dropNulls(from_rest);
  g_autofree char *rest_text = json_to_string(from_rest, FALSE);
  g_autofree char *dbus_text = json_to_string(from_dbus, FALSE);
  INFO("REST: " << rest_text << "\nD-Bus: " << dbus_text);
  CHECK(json_node_equal(from_rest, from_dbus));
  auto all = call(bus, "root", "ListSessions");
  REQUIRE(all->status == 0);
  g_autoptr(GVariant) every = out0(*all);
  CHECK(g_variant_n_children(every) == 1);

  /* Bad options: REST's 400 message, as BadRequest. */
  std::string rest_400 = jsonError(
    c.request("POST", v->vdid->base + "/api/v1/sessions", "{\"width\":641}", v->owner).body);
  CHECK_FALSE(rest_400.empty());
  auto bad = call(bus, v->user, "CreateSession", {"{'width': <641>}"});
  CHECK(bad->error == "org.gstvdi.Manager1.Error.BadRequest: " + rest_400);
  bad = call(bus, v->user, "CreateSession", {"{'colour': <'red'>}"});
  CHECK(bad->error == "org.gstvdi.Manager1.Error.BadRequest: unknown field \"colour\"");
  bad = call(bus, v->user, "CreateShare", {id, "{'role': <'boss'>}"});
  CHECK(bad->error ==
        "org.gstvdi.Manager1.Error.BadRequest: \"role\" must be \"view\" or \"control\"");

  /* A uid that is no vdid user is refused. */
  auto stranger = call(bus, "nobody", "ListSessions");
  CHECK(stranger->error == "org.gstvdi.Manager1.Error.Unauthorized: the Unix user \"nobody\" is "
                           "not a vdid user ([users])");
  /* The policy lets no one but root own vdid's name. */
  auto squat = call(bus, v->user, "RequestName", {kDest, "4"}, "org.freedesktop.DBus",
                    "org.freedesktop.DBus", "/org/freedesktop/DBus");
  CHECK(squat->error.rfind("org.freedesktop.DBus.Error.AccessDenied", 0) == 0);

  /* The budgets REST reads. */
  auto budgets = call(bus, v->user, "GetBudgets");
  REQUIRE(budgets->status == 0);
  g_autoptr(GVariant) b = out0(*budgets);
  g_autoptr(GVariant) limits = g_variant_lookup_value(b, "sessions", G_VARIANT_TYPE("a{sv}"));
  REQUIRE(limits);
  gint64 per_user = 0;
  CHECK(g_variant_lookup(limits, "maxPerUser", "x", &per_user));
  CHECK(per_user == 4);

  /* The owner stops it; the call returns once nothing of it runs. */
  auto stopped = call(bus, v->user, "StopSession", {id});
  CHECK(stopped->status == 0);
  CHECK(processesOf(v->base + "/" + id).empty());
  CHECK(c.request("GET", url, "", v->owner).status == 404);
}

TEST_CASE("D-Bus signals arrive for changes made over REST, only to who may see the session",
          "[vdid][dbus]")
{
  REQUIRE_DBUS_TESTS();
  BusVdid d("stream=false\n");
  auto &bus = d.bus;
  auto &v = d.v;
  const std::string &other = d.other;
  std::string other_auth = basic(other, "pw3");
  Monitor mine(bus, v->user), theirs(bus, other), admin(bus, "root");
  /* vdid learns a connection's uid from the bus as it comes: one call
   * after the monitors started orders that before what follows. */
  REQUIRE(call(bus, v->user, "ListSessions")->status == 0);

  Client c;
  Response r = c.request("POST", v->vdid->base + "/api/v1/sessions", "{}", v->owner);
  REQUIRE(r.status == 201);
  std::string id = member(r.body, "id");
  std::string url = v->vdid->base + "/api/v1/sessions/" + id;
  CHECK(mine.waitSignal("SessionAdded", id));
  CHECK(mine.saw("'state': <'starting'>"));
  CHECK(mine.waitSignal("SessionStateChanged", id));
  CHECK(mine.saw("SessionStateChanged ('" + id + "', 'running', '')"));
  CHECK(admin.waitSignal("SessionStateChanged", id));
  REQUIRE(c.request("DELETE", url, "", v->owner).status == 204);
  CHECK(mine.waitSignal("SessionRemoved", id));
  CHECK(admin.waitSignal("SessionRemoved", id));

  /* The other user's own session: its signals reach that user, after
   * anything vdid would have sent them about the first one. */
  r = c.request("POST", v->vdid->base + "/api/v1/sessions", "{}", other_auth);
  REQUIRE(r.status == 201);
  std::string theirs_id = member(r.body, "id");
  CHECK(theirs.waitSignal("SessionAdded", theirs_id));
  INFO("the other user's monitor saw:\n"
       << [&] {
            std::string all;
            for (const auto &l : theirs.lines)
              all += l + "\n";
            return all;
          }());
  CHECK_FALSE(theirs.saw(id));
  CHECK(
    c.request("DELETE", v->vdid->base + "/api/v1/sessions/" + theirs_id, "", other_auth).status ==
    204);
  CHECK(theirs.waitSignal("SessionRemoved", theirs_id));
  CHECK(admin.waitSignal("SessionRemoved", theirs_id));
  /* ... and the first user never hears of it (checked once a later
   * signal of their own arrived). */
  r = c.request("POST", v->vdid->base + "/api/v1/sessions", "{}", v->owner);
  REQUIRE(r.status == 201);
  CHECK(mine.waitSignal("SessionAdded", member(r.body, "id")));
  CHECK_FALSE(mine.saw(theirs_id));
}

TEST_CASE("a tier move of a busy session is signalled over D-Bus with its reason",
          "[vdid][dbus][tiers]")
{
  REQUIRE_DBUS_TESTS();
  if (!workerBuilt())
    VDI_SKIP("vdid-worker was not built");
  /* A busy loop uses far more than full's reserved 0.3 cores: checked
   * every second, the session moves down (docs/vdid.md, encode tiers). */
  BusVdid d("stream=true\naudio=false\n[budget]\ncpu=4\nsession-cpu=0.3\ndowngrade=true\n"
            "tier-window=1\n");
  auto &v = d.v;
  Monitor mine(d.bus, v->user), theirs(d.bus, d.other);
  REQUIRE(call(d.bus, v->user, "ListSessions")->status == 0);
  Client c;
  Response r = c.request("POST", v->vdid->base + "/api/v1/sessions",
                         "{\"apps\":[[\"sh\",\"-c\",\"while :; do :; done\"]]}", v->owner);
  REQUIRE(r.status == 201);
  std::string id = member(r.body, "id");
  REQUIRE(mine.waitSignal("SessionTierChanged", id, 30s));
  INFO([&] {
    std::string all;
    for (const auto &l : mine.lines)
      all += l + "\n";
    return all;
  }());
  CHECK(mine.saw("SessionTierChanged ('" + id + "', 'half', 'moved down: the session used"));
  /* The session object says the same. */
  std::string body = c.request("GET", v->vdid->base + "/api/v1/sessions/" + id, "", v->owner).body;
  CHECK(body.find("\"reason\":\"moved down: the session used") != std::string::npos);
  /* Another user hears nothing of it (checked after a signal of theirs). */
  r = c.request("POST", v->vdid->base + "/api/v1/sessions", "{}", basic(d.other, "pw3"));
  REQUIRE(r.status == 201);
  CHECK(theirs.waitSignal("SessionAdded", member(r.body, "id")));
  CHECK_FALSE(theirs.saw(id));
}

TEST_CASE("vdid serves REST without its bus, unless [dbus] required says it must not",
          "[vdid][dbus]")
{
  if (geteuid() != 0)
    VDI_SKIP("the test writes its config for root's vdid");
  g_autofree char *dir = g_dir_make_tmp("vdid-nobus-XXXXXX", nullptr);
  std::string conf = std::string(dir) + "/vdid.conf", log = std::string(dir) + "/stderr";
  std::string base = "[server]\nsrt-listen=\n[users]\nbob=" + hashOf("pw") +
                     "\n[sessions]\nruntime-dir=" + dir + "\n[dbus]\nbus=unix:path=" + dir +
                     "/no-bus\n";
  std::ofstream(conf) << base;
  {
    Vdid v({"--config", conf}, log);
    Client c;
    CHECK(c.request("GET", v.base + "/health").status == 200);
    CHECK(c.request("GET", v.base + "/api/v1/sessions", "", basic("bob", "pw")).body == "[]");
    std::string text;
    CHECK(eventually(5s, [&] {
      return (text = logTail(log))
               .find("vdid: warning: no D-Bus API: cannot connect to unix:path=") !=
             std::string::npos;
    }));
    INFO(text);
    CHECK(v.proc->running());
  }
  {
    /* A bus that goes away later: vdid says so and serves on. */
    PrivateBus bus;
    std::ofstream(conf) << "[server]\nsrt-listen=\n[users]\nbob=" << hashOf("pw")
                        << "\n[sessions]\nruntime-dir=" << dir << "\n[dbus]\nbus=" << bus.address
                        << "\n";
    Vdid v({"--config", conf}, log);
    REQUIRE(v.proc->waitFor("vdid: D-Bus API org.gstvdi.Manager1", 10s));
    bus.daemon.reset();
    CHECK(eventually(5s, [&] {
      return logTail(log).find("vdid: warning: no D-Bus API: the bus closed the connection") !=
             std::string::npos;
    }));
    Client c;
    CHECK(c.request("GET", v.base + "/health").status == 200);
    CHECK(v.proc->running());
  }
  std::ofstream(conf) << base << "required=true\n";
  Process p({std::string(g_getenv("VDI_BUILD_ROOT")) + "/orchestrator/vdid", "--config", conf,
             "--listen", "127.0.0.1:0"},
            {}, log);
  auto status = p.wait(10s);
  REQUIRE(status);
  CHECK(WEXITSTATUS(*status) == 1);
  CHECK(logTail(log).find("vdid: no D-Bus API ([dbus] required=true): cannot connect to") !=
        std::string::npos);
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
  (void)!system(cmd);
}
