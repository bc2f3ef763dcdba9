/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "session-services.h"

#include "process-reaper.h"
#include "sessions.h"

#include <csignal>
#include <cstring>
#include <fstream>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace vdid {

namespace {

constexpr guint kPollMs = 20;
constexpr gint64 kBusTimeoutUs = 5 * G_USEC_PER_SEC;
constexpr gint64 kAudioTimeoutUs = 10 * G_USEC_PER_SEC;

/* The virtual speaker and microphone, and a 10 ms graph (480 frames at
 * 48 kHz): pipewire.conf.d fragment. */
constexpr const char *kPipeWireConf = R"conf(# written by vdid: the session's virtual devices
context.properties = {
  default.clock.rate        = 48000
  default.clock.quantum     = 480
  default.clock.min-quantum = 240
}
context.objects = [
  { factory = adapter
    args = {
      factory.name     = support.null-audio-sink
      node.name        = vdi-speaker
      node.description = "Virtual speaker"
      media.class      = Audio/Sink
      audio.position   = [ FL FR ]
      priority.session = 2000
      priority.driver  = 2000
    }
  }
]
context.modules = [
  # The network feeds the sink vdi-microphone-input; apps record its other
  # end, the source vdi-microphone.
  { name = libpipewire-module-loopback
    args = {
      node.description = "Virtual microphone"
      capture.props = {
        node.name        = vdi-microphone-input
        node.description = "Virtual microphone (network input)"
        media.class      = Audio/Sink
        audio.position   = [ MONO ]
        priority.session = 100
      }
      playback.props = {
        node.name        = vdi-microphone
        node.description = "Virtual microphone"
        media.class      = Audio/Source
        audio.position   = [ MONO ]
        priority.session = 2000
      }
    }
  }
]
)conf";

/* WirePlumber 0.4: a session owns no hardware, and its defaults come from
 * the priorities above, not from a state file. */
constexpr const char *kWirePlumberMain = R"(-- written by vdid
alsa_monitor.enabled = false
v4l2_monitor.enabled = false
libcamera_monitor.enabled = false
device_defaults.properties["use-persistent-storage"] = false
)";
constexpr const char *kWirePlumberBluetooth = "-- written by vdid\nbluez_monitor.enabled = false\n";

std::string program(const char *name, const char *env_var)
{
  const char *override_path = g_getenv(env_var);
  return override_path && *override_path ? override_path : name;
}

std::string describeExit(const char *name, int status)
{
  g_autofree char *how = WIFSIGNALED(status)
                           ? g_strdup_printf("was killed by signal %d", WTERMSIG(status))
                           : g_strdup_printf("exited with status %d", WEXITSTATUS(status));
  return std::string(name) + " " + how;
}

bool writeFile(const std::string &path, const char *text, std::string *error)
{
  std::ofstream out(path);
  out << text;
  out.close();
  if (!out) {
    *error = "cannot write " + path;
    return false;
  }
  chmod(path.c_str(), 0644);
  return true;
}

/* The private system bus: any client of the session may own and call
 * anything; no service dirs, so nothing is ever activated on it. */
std::string systemBusConfig(const std::string &socket)
{
  return "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
         " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
         "<!-- written by vdid: the session's private system bus -->\n"
         "<busconfig>\n"
         "  <type>system</type>\n"
         "  <listen>unix:path=" +
         socket +
         "</listen>\n"
         "  <auth>EXTERNAL</auth>\n"
         "  <policy context=\"default\">\n"
         "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
         "    <allow eavesdrop=\"true\"/>\n"
         "    <allow own=\"*\"/>\n"
         "  </policy>\n"
         "</busconfig>\n";
}

struct WatchData {
  std::weak_ptr<SessionServices *> self;
  int slot;
};

} // namespace

const char *SessionServices::stateName(State state)
{
  switch (state) {
  case State::Off:
    return "off";
  case State::Starting:
    return "starting";
  case State::Ready:
    return "ready";
  case State::Failed:
    return "failed";
  }
  return "unknown";
}

SessionServices::SessionServices(std::string id, std::string runtime_dir, bool audio, Spawn spawn,
                                 Stop stop, std::function<void()> on_change)
  : id_(std::move(id)), dir_(std::move(runtime_dir)), audio_(audio), spawn_(std::move(spawn)),
    stop_(std::move(stop)), on_change_(std::move(on_change)),
    self_(std::make_shared<SessionServices *>(this))
{
}

SessionServices::~SessionServices()
{
  stop();
}

std::string SessionServices::busAddress() const
{
  return busReady() ? "unix:path=" + dir_ + "/bus" : "";
}

std::vector<std::string> SessionServices::environment() const
{
  std::vector<std::string> env;
  if (busReady())
    env.push_back("DBUS_SESSION_BUS_ADDRESS=" + busAddress());
  if (busReady() && system_bus_)
    env.push_back("DBUS_SYSTEM_BUS_ADDRESS=unix:path=" + dir_ + "/system_bus");
  return env;
}

std::vector<std::string> SessionServices::soundEnvironment() const
{
  /* The sound programs read their configuration from the session's dir
   * (only they: the apps keep the user's XDG_CONFIG_HOME). The spawn
   * function adds environment(). */
  return {"XDG_CONFIG_HOME=" + dir_ + "/config", "XDG_STATE_HOME=" + dir_ + "/state",
          /* errors only: no portal or RTKit here is expected */
          "PIPEWIRE_DEBUG=1", "WIREPLUMBER_DEBUG=1"};
}

bool SessionServices::writeConfig(std::string *error)
{
  for (const char *sub :
       {"/config", "/config/pipewire", "/config/pipewire/pipewire.conf.d", "/config/wireplumber",
        "/config/wireplumber/main.lua.d", "/config/wireplumber/bluetooth.lua.d"}) {
    std::string path = dir_ + sub;
    if (g_mkdir(path.c_str(), 0755) < 0 && errno != EEXIST) {
      *error = "cannot create " + path + ": " + g_strerror(errno);
      return false;
    }
  }
  return writeFile(dir_ + "/config/pipewire/pipewire.conf.d/50-vdi-session.conf", kPipeWireConf,
                   error) &&
         writeFile(dir_ + "/config/wireplumber/main.lua.d/60-vdi-session.lua", kWirePlumberMain,
                   error) &&
         writeFile(dir_ + "/config/wireplumber/bluetooth.lua.d/60-vdi-session.lua",
                   kWirePlumberBluetooth, error);
}

bool SessionServices::start(std::string *error)
{
  if (audio_) {
    if (!writeConfig(error))
      return false;
    audio_state_ = State::Starting;
    audio_deadline_ = g_get_monotonic_time() + kAudioTimeoutUs;
  }
  bus_deadline_ = g_get_monotonic_time() + kBusTimeoutUs;
  std::string why;
  if (!launch(Bus,
              {program("dbus-daemon", "VDID_DBUS_DAEMON"), "--session", "--nofork", "--nopidfile",
               "--print-address", "--address=unix:path=" + dir_ + "/bus"},
              &why)) {
    g_warning("session %s: no session bus: %s", id_.c_str(), why.c_str());
    bus_state_ = State::Failed;
  } else if (system_bus_ && !startSystemBus(&why)) {
    g_warning("session %s: no system bus: %s", id_.c_str(), why.c_str());
    bus_state_ = State::Failed;
  }
  poll_source_ = g_timeout_add_full(
    G_PRIORITY_DEFAULT, kPollMs,
    [](gpointer data) -> gboolean {
      auto self = static_cast<std::weak_ptr<SessionServices *> *>(data)->lock();
      if (!self)
        return G_SOURCE_REMOVE;
      (*self)->poll();
      return (*self)->poll_source_ ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
    },
    new std::weak_ptr<SessionServices *>(self_),
    [](gpointer data) { delete static_cast<std::weak_ptr<SessionServices *> *>(data); });
  if (bus_state_ == State::Failed)
    startSound();
  return true;
}

bool SessionServices::startSystemBus(std::string *error)
{
  std::string conf = dir_ + "/system-bus.conf";
  return writeFile(conf, systemBusConfig(dir_ + "/system_bus").c_str(), error) &&
         launch(SystemBus,
                {program("dbus-daemon", "VDID_DBUS_DAEMON"), "--config-file=" + conf, "--nofork",
                 "--nopidfile", "--print-address"},
                error);
}

bool SessionServices::launch(Slot slot, std::vector<std::string> argv, std::string *error)
{
  Program &p = programs_[slot];
  bool bus = slot == Bus || slot == SystemBus;
  bool piped = bus || slot == Check;
  p.pid = spawn_(argv, bus ? std::vector<std::string>{} : soundEnvironment(), error,
                 piped ? &p.out : nullptr);
  if (p.pid < 0)
    return false;
  if (piped)
    g_unix_set_fd_nonblocking(p.out, TRUE, nullptr);
  p.watch = g_child_watch_add_full(
    G_PRIORITY_DEFAULT, p.pid,
    [](GPid, gint status, gpointer data) {
      auto *wd = static_cast<WatchData *>(data);
      if (auto self = wd->self.lock())
        (*self)->exited(static_cast<Slot>(wd->slot), status);
    },
    new WatchData{self_, slot}, [](gpointer data) { delete static_cast<WatchData *>(data); });
  return true;
}

void SessionServices::setBus(State state)
{
  bus_state_ = state;
  if (on_change_)
    on_change_();
  startSound();
}

void SessionServices::poll()
{
  gint64 now = g_get_monotonic_time();
  if (bus_state_ == State::Starting) {
    /* --print-address: dbus-daemon prints its address once it listens. */
    bus_listens_ = bus_listens_ || !readOutput(Bus).empty();
    system_bus_listens_ = system_bus_listens_ || !system_bus_ || !readOutput(SystemBus).empty();
    if (bus_listens_ && system_bus_listens_) {
      setBus(State::Ready);
    } else if (now > bus_deadline_) {
      g_warning("session %s: dbus-daemon did not open its socket in 5 s; no session bus",
                id_.c_str());
      setBus(State::Failed);
    }
    return;
  }
  if (audio_state_ != State::Starting) {
    g_source_remove(poll_source_);
    poll_source_ = 0;
    return;
  }
  if (now > audio_deadline_) {
    const char *late =
      programs_[PipeWire].pid < 0                                          ? "pipewire"
      : !g_file_test((dir_ + "/pipewire-0").c_str(), G_FILE_TEST_EXISTS)   ? "pipewire"
      : !g_file_test((dir_ + "/pulse/native").c_str(), G_FILE_TEST_EXISTS) ? "pipewire-pulse"
                                                                           : "wireplumber";
    failAudio(std::string(late) + " was not ready in 10 s");
    return;
  }
  if (programs_[WirePlumber].pid < 0 && programs_[PipeWire].pid > 0 &&
      g_file_test((dir_ + "/pipewire-0").c_str(), G_FILE_TEST_EXISTS)) {
    std::string why;
    if (!launch(WirePlumber, {program("wireplumber", "VDID_WIREPLUMBER")}, &why) ||
        !launch(PipeWirePulse, {program("pipewire-pulse", "VDID_PIPEWIRE_PULSE")}, &why)) {
      failAudio(why);
      return;
    }
  }
  if (programs_[PipeWirePulse].pid > 0 && programs_[Check].pid < 0 &&
      g_file_test((dir_ + "/pulse/native").c_str(), G_FILE_TEST_EXISTS))
    startDefaultCheck();
}

void SessionServices::startSound()
{
  if (audio_state_ != State::Starting || programs_[PipeWire].pid > 0)
    return;
  std::string why;
  if (!launch(PipeWire, {program("pipewire", "VDID_PIPEWIRE")}, &why))
    failAudio(why);
}

/* "pactl get-default-sink" answers the virtual speaker once pipewire-pulse
 * serves and WirePlumber has chosen the defaults: then sound is ready. */
void SessionServices::startDefaultCheck()
{
  std::string why;
  if (!launch(Check, {"pactl", "get-default-sink"}, &why))
    failAudio(why);
}

void SessionServices::exited(Slot slot, int status)
{
  Program &p = programs_[slot];
  p.pid = -1;
  p.watch = 0;
  if (stopping_)
    return;
  if (slot == Check) {
    std::string answer = readOutput(Check);
    close(p.out);
    p.out = -1;
    if (audio_state_ == State::Starting && answer.rfind(kSpeakerSink, 0) == 0 &&
        answer.find_first_not_of("\n", strlen(kSpeakerSink)) == std::string::npos) {
      audio_state_ = State::Ready;
      g_message("session %s: sound ready (pipewire, wireplumber, pipewire-pulse)", id_.c_str());
      if (on_change_)
        on_change_();
    }
    /* Otherwise poll() asks again on its next round. */
    return;
  }
  /* When pipewire dies its clients exit at once, often before its own
   * watch runs: name the cause, not the first to notice. */
  Program &server = programs_[PipeWire];
  if (slot != Bus && slot != SystemBus && slot != PipeWire && server.pid > 0 &&
      hasExited(server.pid) && waitpid(server.pid, &status, WNOHANG) == server.pid) {
    g_source_remove(server.watch);
    server.watch = 0;
    server.pid = -1;
    slot = PipeWire;
  }
  std::string reason = describeExit(programs_[slot].name, status);
  if (slot == Bus || slot == SystemBus) {
    g_warning("session %s: a bus of the session ended: %s", id_.c_str(), reason.c_str());
    if (bus_state_ == State::Starting)
      setBus(State::Failed);
    else
      bus_state_ = State::Failed;
    return;
  }
  failAudio(reason);
}

void SessionServices::failAudio(const std::string &reason)
{
  if (audio_state_ == State::Failed)
    return;
  audio_state_ = State::Failed;
  audio_reason_ = reason;
  g_warning("session %s: sound failed: %s (the session goes on without sound)", id_.c_str(),
            reason.c_str());
  stopPrograms(false, {});
  if (on_change_)
    on_change_();
}

void SessionServices::stopPrograms(bool bus_too, std::function<void()> done)
{
  Countdown all(std::move(done));
  for (int slot : {Check, PipeWirePulse, WirePlumber, PipeWire, Bus, SystemBus}) {
    Program &p = programs_[slot];
    if ((slot == Bus || slot == SystemBus) && !bus_too)
      continue;
    if (p.watch)
      g_source_remove(p.watch);
    p.watch = 0;
    if (p.pid > 0)
      stop_(p.pid, 1000, all.part());
    p.pid = -1;
    if (p.out >= 0)
      close(p.out);
    p.out = -1;
  }
  all.arm();
}

void SessionServices::stop(std::function<void()> done)
{
  stopping_ = true;
  if (poll_source_)
    g_source_remove(poll_source_);
  poll_source_ = 0;
  stopPrograms(true, std::move(done));
}

std::string SessionServices::readOutput(Slot slot)
{
  Program &p = programs_[slot];
  char buf[512];
  ssize_t n;
  std::string text;
  while (p.out >= 0 && (n = read(p.out, buf, sizeof(buf))) > 0)
    text.append(buf, static_cast<size_t>(n));
  return text;
}

void SessionServices::describe(JsonBuilder *b) const
{
  json_builder_set_member_name(b, "audio");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "state");
  json_builder_add_string_value(b, stateName(audio_state_));
  if (audio_state_ == State::Failed) {
    json_builder_set_member_name(b, "reason");
    json_builder_add_string_value(b, audio_reason_.c_str());
  }
  json_builder_end_object(b);
}

std::vector<pid_t> SessionServices::pids() const
{
  std::vector<pid_t> out;
  for (const Program &p : programs_)
    if (p.pid > 0 && &p != &programs_[Check])
      out.push_back(p.pid);
  return out;
}

} // namespace vdid
