/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdid configuration: a GKeyFile with groups [server], [auth], [users],
 * [sessions], [budget], [tier NAME], [encoders], [dbus], [webrtc], [fleet],
 * [node] and [door]; every
 * key is documented in docs/vdid.md with
 * its default. Unknown groups and keys are errors, so that a typo is not
 * silently ignored.
 */

#pragma once

#include "host-budget.h"
#include "ice-servers.h"
#include "tier-ladder.h"

#include <glib.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace vdid {

struct Config {
  /* [server] */
  std::string listen_address = "127.0.0.1";
  unsigned listen_port = 8080;
  std::string tls_certificate; /* PEM file; TLS when set with tls_key */
  std::string tls_key;
  /* The web page served at / (the player for now); empty: $GST_VDI_WEB_ROOT,
   * else the installed player. */
  std::string web_root;
  /* SRT for every session on one port (vdid-srt); empty address: no SRT. */
  std::string srt_address = "127.0.0.1";
  unsigned srt_port = 8890;
  /* Origins whose pages may use /whep/, /hls/ and the API (CORS, as
   * mediamtx's allowOrigins); "*" allows any, without credentials. */
  std::vector<std::string> allowed_origins;
  /* A request (or an idle keep-alive connection's next one) must arrive
   * within this; requests in flight per client address. */
  unsigned request_timeout_s = 10;
  unsigned max_connections_per_address = 64;
  /* Proxies (the front door's HAProxy) whose X-Forwarded-For names the
   * client, for the failed-login limit. */
  std::vector<std::string> trusted_proxies;

  /* [auth] */
  std::vector<std::string> admins;
  std::chrono::seconds cookie_lifetime{12 * 3600};
  unsigned max_failed_logins = 5;
  std::chrono::seconds failed_login_window{60};

  /* [users] name = crypt hash */
  std::map<std::string, std::string> users;

  /* [sessions] */
  unsigned max_sessions = 32;
  unsigned max_sessions_per_user = 4;
  unsigned pool_size = 0; /* pre-warmed sessions per pool user */
  /* Users the pool serves; empty: every user in [users] with a Unix
   * account. */
  std::vector<std::string> pool_users;
  /* Per session, enforced with cgroups (cgroups.h); 0: none. */
  double cpu_limit = 0;     /* cores */
  guint64 memory_limit = 0; /* bytes of RAM and swap */
  guint64 pids_limit = 0;   /* processes and threads */
  std::chrono::seconds idle_timeout{30 * 60};
  std::string compositor = "sway";
  /* Where session runtime dirs go; empty: /run/vdi as root, else
   * $XDG_RUNTIME_DIR/vdi. vdid owns everything in it. */
  std::string runtime_dir;
  unsigned width = 1920, height = 1080, fps = 60;
  /* Run the pipeline worker (vdid-worker) for each session. */
  bool stream = true;
  /* Offer HLS (/hls/ID/index.m3u8) for streaming sessions. */
  bool hls = true;
  /* A session bus is always started; with audio also a PipeWire sound
   * server with a virtual speaker and microphone (session-services.h). */
  bool audio = true;

  /* [budget]: what all sessions may reserve together (host-budget.h); its
   * per-session reservation is completed from cpu-limit / memory-limit. */
  HostBudget budget;
  /* [budget] tiers and their [tier NAME] groups, best first; never empty
   * (defaultLadder() when not named). */
  std::vector<Tier> tiers = defaultLadder(0);

  /* [encoders] */
  unsigned max_hardware_sessions = 4;

  /* [dbus]: where vdid exports org.gstvdi.Manager1 (dbus-manager.h):
   * "system", "none" or a D-Bus address; whether vdid must have it. */
  std::string dbus_bus = "system";
  bool dbus_required = false;

  /* [webrtc]: STUN and TURN servers for viewers (ice-servers.h) */
  IceSettings ice;

  /* [fleet]: the secret every vdid of a fleet (the door and its nodes)
   * signs and checks fleet tokens with (fleet-token.h); empty: no fleet. */
  std::string fleet_secret;
  /* [node]: this vdid as a node behind a front door (docs/fleet.md): its
   * id (lower-case letters and digits; session ids and share tokens start
   * with "ID-"), and the URL the door's proxy reaches it at (empty: the
   * URL the door polls). */
  std::string node_id;
  std::string node_url;
  /* [door]: this vdid is the front door of nodes (door.h) instead of
   * running sessions. */
  struct Door {
    std::vector<std::string> nodes; /* base URLs of the nodes, http://HOST:PORT */
    std::string listen_address;     /* the one URL users open (HAProxy binds it) */
    unsigned listen_port = 0;
    std::string haproxy = "haproxy";
    unsigned poll_ms = 1000; /* between two reads of a node's report */
    unsigned lost_ms = 3000; /* without an answer: the node is lost */
  } door;
  bool isDoor() const { return !door.nodes.empty(); }

  /* Set when no file was given: one demo user with a random password. */
  bool embedded_default = false;
  std::string demo_user = "demo";
  std::string demo_password;

  /* Parses @path. Sets @error (G_KEY_FILE_ERROR) with a message that names
   * the file, group and key on failure. */
  static bool load(const std::string &path, Config *config, GError **error);
  /* The same for the text of a file (@name is for messages). */
  static bool parse(const std::string &text, const std::string &name, Config *config,
                    GError **error);
  /* The embedded default: user @user (also the Unix account its sessions
   * run as) with a fresh random password, on 127.0.0.1. */
  static Config embeddedDefault(const std::string &user = "demo");
  /* Parses "ADDRESS:PORT", "[V6]:PORT" or ":PORT". */
  static bool parseListen(const std::string &value, std::string *address, unsigned *port);
};

} // namespace vdid
