/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The per-session services a desktop expects, started by vdid as the
 * session's Unix user in its private runtime dir before the compositor and
 * the apps:
 *
 *   dbus-daemon --session      the session bus at $XDG_RUNTIME_DIR/bus
 *   pipewire                   with a virtual speaker (null sink "vdi-speaker",
 *                              the default sink) and a virtual microphone
 *                              (source "vdi-microphone", the default source,
 *                              fed through the sink "vdi-microphone-input")
 *   wireplumber                the session manager (no ALSA, Bluetooth or
 *                              camera monitors: a session owns no hardware)
 *   pipewire-pulse             the PulseAudio server at $XDG_RUNTIME_DIR/pulse/native
 *   dbus-daemon (system)       only with addSystemBus(): a private system bus
 *                              at $XDG_RUNTIME_DIR/system_bus for desktops
 *                              that abort without one (GNOME Shell); no
 *                              system service runs on it
 *
 * Their configuration is written into the session's dir (XDG_CONFIG_HOME
 * of these programs only, see docs/sound.md). Readiness is a condition,
 * never a sleep: the bus socket, the pipewire-0 socket, the pulse socket and
 * finally "pactl get-default-sink" naming the virtual speaker (WirePlumber
 * has done its work). Everything runs from the GLib main context of vdid:
 * child watches and a 20 ms poll, nothing blocks.
 *
 * A sound program that fails to start or dies ends only sound: the audio
 * state becomes "failed" with a reason naming the program, the other sound
 * programs are stopped, and the session goes on.
 */

#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace vdid {

/* Node names the worker and the tests rely on. */
inline constexpr const char *kSpeakerSink = "vdi-speaker";
inline constexpr const char *kSpeakerMonitor = "vdi-speaker.monitor";
inline constexpr const char *kMicrophoneSource = "vdi-microphone";
inline constexpr const char *kMicrophoneInput = "vdi-microphone-input";

class SessionServices
{
public:
  enum class State { Off, Starting, Ready, Failed };
  static const char *stateName(State state);

  /* Starts a program of the session as its user (SessionManager::spawnAs):
   * returns the pid, or -1 and sets @error. */
  using Spawn =
    std::function<pid_t(const std::vector<std::string> &argv, const std::vector<std::string> &env,
                        std::string *error, int *stdout_fd)>;

  /* Stops the process group led by @leader without blocking
   * (ProcessReaper::stop); @done runs once it is reaped. */
  using Stop = std::function<void(pid_t leader, int grace_ms, std::function<void()> done)>;

  /* @on_change runs (from the main context) whenever busSettled() or
   * audioState() changes. Nothing starts before start(). */
  SessionServices(std::string id, std::string runtime_dir, bool audio, Spawn spawn, Stop stop,
                  std::function<void()> on_change);
  ~SessionServices(); /* stops everything */
  SessionServices(const SessionServices &) = delete;
  SessionServices &operator=(const SessionServices &) = delete;

  /* Writes the configuration and starts the bus (the sound programs follow
   * once it listens). False only when nothing could be written; a program
   * that fails is reported through the states. */
  bool start(std::string *error);
  /* Before start(): also run a private system bus (DBUS_SYSTEM_BUS_ADDRESS
   * in environment()); busSettled() then waits for both buses. */
  void addSystemBus() { system_bus_ = true; }
  /* Stops every program (SIGTERM, then SIGKILL); @done runs once all are
   * reaped. */
  void stop(std::function<void()> done = {});

  /* The bus listens (or failed: then there is no session bus). */
  bool busSettled() const { return bus_state_ != State::Starting; }
  bool busReady() const { return bus_state_ == State::Ready; }
  /* unix:path=$XDG_RUNTIME_DIR/bus, or "" without a bus. */
  std::string busAddress() const;
  State audioState() const { return audio_state_; }
  const std::string &audioReason() const { return audio_reason_; }
  /* Ready, failed or off: the apps and the worker may start. */
  bool audioSettled() const { return audio_state_ != State::Starting; }

  /* DBUS_SESSION_BUS_ADDRESS (when the bus runs; and
   * DBUS_SYSTEM_BUS_ADDRESS with addSystemBus()) for the compositor, the
   * apps and the worker; XDG_RUNTIME_DIR is set by the caller. */
  std::vector<std::string> environment() const;
  /* Adds "audio": {"state", "reason"?} to a session object being built. */
  void describe(JsonBuilder *b) const;
  /* The programs running now (for CPU/RSS metrics). */
  std::vector<pid_t> pids() const;

private:
  struct Program {
    const char *name;
    pid_t pid = -1;
    guint watch = 0;
    int out = -1; /* its stdout, for the bus and pactl */
  };
  enum Slot { Bus, SystemBus, PipeWire, WirePlumber, PipeWirePulse, Check, kSlots };

  bool writeConfig(std::string *error);
  bool startSystemBus(std::string *error);
  bool launch(Slot slot, std::vector<std::string> argv, std::string *error);
  void poll();
  void startSound();
  void startDefaultCheck();
  void exited(Slot slot, int status);
  void failAudio(const std::string &reason);
  /* Hands the running sound programs (and the bus with @bus_too) to the
   * Stop function. */
  void stopPrograms(bool bus_too, std::function<void()> done);
  void setBus(State state);
  std::vector<std::string> soundEnvironment() const;
  /* What @slot wrote on its stdout so far (non-blocking). */
  std::string readOutput(Slot slot);

  std::string id_, dir_;
  bool audio_;
  Spawn spawn_;
  Stop stop_;
  std::function<void()> on_change_;
  Program programs_[kSlots] = {{"dbus-daemon"}, {"dbus-daemon (system bus)"}, {"pipewire"},
                               {"wireplumber"}, {"pipewire-pulse"},           {"pactl"}};
  State bus_state_ = State::Starting;
  bool system_bus_ = false;
  /* Each bus printed its address (it listens). */
  bool bus_listens_ = false, system_bus_listens_ = false;
  State audio_state_ = State::Off;
  std::string audio_reason_;
  gint64 bus_deadline_ = 0;   /* monotonic µs */
  gint64 audio_deadline_ = 0; /* monotonic µs */
  guint poll_source_ = 0;
  bool stopping_ = false;
  /* Callbacks hold this token; it is cleared when the object goes. */
  std::shared_ptr<SessionServices *> self_;
};

} // namespace vdid
