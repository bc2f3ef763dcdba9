/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "turn-probe.h"

#include "stun-message.h"

#include <cstdio>
#include <cstring>
#include <vector>

namespace vdid {

namespace {

using namespace stun;

/* A connection to the server: a UDP socket (retransmits), or a TCP/TLS
 * stream (STUN messages back to back, RFC 8489 6.2.2). */
class Transport
{
public:
  bool open(const IceUri &u, std::chrono::milliseconds timeout, std::string *why)
  {
    g_autoptr(GError) e = nullptr;
    timeout_ = timeout;
    if (u.scheme == "turn" && u.transport != "tcp") {
      g_autoptr(GResolver) resolver = g_resolver_get_default();
      GList *addrs = g_resolver_lookup_by_name(resolver, u.host.c_str(), nullptr, &e);
      if (!addrs)
        return fail(why, std::string("cannot resolve ") + u.host + ": " + e->message);
      auto *addr = G_INET_ADDRESS(addrs->data);
      remote_ = g_inet_socket_address_new(addr, u.port);
      udp_ = g_socket_new(g_inet_address_get_family(addr), G_SOCKET_TYPE_DATAGRAM,
                          G_SOCKET_PROTOCOL_UDP, &e);
      g_resolver_free_addresses(addrs);
      if (!udp_)
        return fail(why, std::string("socket: ") + e->message);
      return true;
    }
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_socket_client_set_timeout(client, std::max<unsigned>(1, timeout.count() / 1000));
    g_socket_client_set_tls(client, u.scheme == "turns");
    tcp_ = g_socket_client_connect_to_host(client, u.host.c_str(), u.port, nullptr, &e);
    if (!tcp_)
      return fail(why, std::string("cannot connect: ") + e->message);
    return true;
  }
  ~Transport()
  {
    g_clear_object(&udp_);
    g_clear_object(&remote_);
    g_clear_object(&tcp_);
  }

  /* Sends @m and reads its response. */
  bool exchange(const Message &m, Response *r, std::string *why)
  {
    g_autoptr(GError) e = nullptr;
    uint8_t buf[2048];
    if (udp_) {
      /* RFC 8489 retransmits; three tries within the timeout. */
      auto per_try = std::max<int64_t>(1, timeout_.count() / 3);
      g_socket_set_timeout(udp_, 0);
      for (int attempt = 0; attempt < 3; attempt++) {
        if (g_socket_send_to(udp_, remote_, reinterpret_cast<const char *>(m.bytes().data()),
                             m.bytes().size(), nullptr, &e) < 0)
          return fail(why, std::string("send: ") + e->message);
        int64_t deadline = g_get_monotonic_time() + per_try * 1000;
        while (g_get_monotonic_time() < deadline) {
          if (!g_socket_condition_timed_wait(udp_, G_IO_IN, deadline - g_get_monotonic_time(),
                                             nullptr, nullptr))
            break;
          gssize n =
            g_socket_receive(udp_, reinterpret_cast<char *>(buf), sizeof(buf), nullptr, nullptr);
          if (n > 0 && parseResponse(buf, static_cast<size_t>(n), m.tid(), r))
            return true;
        }
      }
      return fail(why, "no answer in " + std::to_string(timeout_.count()) + " ms");
    }
    GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(tcp_));
    GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(tcp_));
    if (!g_output_stream_write_all(out, m.bytes().data(), m.bytes().size(), nullptr, nullptr, &e))
      return fail(why, std::string("send: ") + e->message);
    g_socket_set_timeout(g_socket_connection_get_socket(tcp_),
                         std::max<unsigned>(1, timeout_.count() / 1000));
    gsize got = 0;
    if (!g_input_stream_read_all(in, buf, 20, &got, nullptr, &e) || got < 20)
      return fail(why, e ? std::string("no answer: ") + e->message : "the server closed");
    size_t len = get16(buf + 2);
    if (len > sizeof(buf) - 20 || !g_input_stream_read_all(in, buf + 20, len, &got, nullptr, &e) ||
        got < len)
      return fail(why, "a truncated answer");
    if (!parseResponse(buf, 20 + len, m.tid(), r))
      return fail(why, "an answer that is not STUN");
    return true;
  }

private:
  static bool fail(std::string *why, const std::string &text)
  {
    *why = text;
    return false;
  }
  std::chrono::milliseconds timeout_{3000};
  GSocket *udp_ = nullptr;
  GSocketAddress *remote_ = nullptr;
  GSocketConnection *tcp_ = nullptr;
};

Message allocate(const TurnCredential &c, const Response &challenge)
{
  Message m(kAllocate);
  m.add32(kAttrTransport, 17u << 24); /* UDP relay */
  m.add(kAttrUsername, c.username);
  m.add(kAttrRealm, challenge.realm);
  m.add(kAttrNonce, challenge.nonce);
  m.sign(c.username, challenge.realm, c.password);
  return m;
}

std::string describeError(const Response &r)
{
  return std::to_string(r.error_code) + (r.reason.empty() ? "" : " " + r.reason);
}

} // namespace

TurnProbeResult probeTurnServer(const IceUri &server, const TurnCredential &credential,
                                std::chrono::milliseconds timeout)
{
  TurnProbeResult out;
  Transport t;
  if (!t.open(server, timeout, &out.message))
    return out;
  Message first(kAllocate);
  first.add32(kAttrTransport, 17u << 24);
  Response challenge;
  if (!t.exchange(first, &challenge, &out.message))
    return out;
  if (challenge.cls == kSuccess) {
    out.ok = true;
    out.message = "relay " + challenge.relayed + " (the server asks for no credentials)";
    return out;
  }
  if (challenge.error_code != 401 || challenge.nonce.empty()) {
    out.error_code = challenge.error_code;
    out.message = "answered " + describeError(challenge) + " to an Allocate";
    return out;
  }
  Response r;
  for (int attempt = 0; attempt < 2; attempt++) {
    if (!t.exchange(allocate(credential, challenge), &r, &out.message))
      return out;
    /* 438 Stale Nonce: once more with the new one. */
    if (r.cls == kError && r.error_code == 438 && !r.nonce.empty()) {
      challenge.nonce = r.nonce;
      continue;
    }
    break;
  }
  if (r.cls != kSuccess) {
    out.error_code = r.error_code;
    out.message = r.error_code == 401
                    ? "refused vdid's credentials (" + describeError(r) +
                        "): [webrtc] turn-secret (or turn-username/turn-password) does not "
                        "match the server's"
                    : "refused the Allocate (" + describeError(r) + ")";
    return out;
  }
  out.ok = true;
  out.message = "relay " + r.relayed;
  /* Free the relay at once: this was only a check. */
  Message refresh(kRefresh);
  refresh.add32(kAttrLifetime, 0);
  refresh.add(kAttrUsername, credential.username);
  refresh.add(kAttrRealm, challenge.realm);
  refresh.add(kAttrNonce, r.nonce.empty() ? challenge.nonce : r.nonce);
  refresh.sign(credential.username, challenge.realm, credential.password);
  Response ignored;
  std::string why;
  t.exchange(refresh, &ignored, &why);
  return out;
}

/* ---- TurnProbe ------------------------------------------------------------ */

TurnProbe::~TurnProbe()
{
  *alive_ = false;
  if (timer_)
    g_source_remove(timer_);
}

void TurnProbe::start(std::chrono::seconds interval)
{
  if (ice_.settings().turn.empty())
    return;
  round();
  timer_ = g_timeout_add_seconds(static_cast<guint>(interval.count()), onTimer, this);
}

gboolean TurnProbe::onTimer(gpointer data)
{
  static_cast<TurnProbe *>(data)->round();
  return G_SOURCE_CONTINUE;
}

void TurnProbe::round()
{
  if (running_)
    return;
  running_ = true;
  struct Job {
    std::vector<IceUri> servers;
    TurnCredential credential;
    std::vector<TurnProbeResult> results;
    std::shared_ptr<bool> alive;
    TurnProbe *self;
  };
  auto *job = new Job{ice_.settings().turn,
                      ice_.credentialFor("vdid-probe", g_get_real_time() / G_USEC_PER_SEC),
                      {},
                      alive_,
                      this};
  /* Blocking sockets in a thread; the results come back to the main loop. */
  g_autoptr(GTask) task = g_task_new(
    nullptr, nullptr,
    [](GObject *, GAsyncResult *res, gpointer) {
      auto *j = static_cast<Job *>(g_task_get_task_data(G_TASK(res)));
      if (!*j->alive)
        return;
      TurnProbe *self = j->self;
      self->running_ = false;
      for (size_t i = 0; i < j->servers.size(); i++) {
        std::string name = j->servers[i].text();
        const TurnProbeResult &r = j->results[i];
        self->up_[name] = r.ok;
        std::string line = r.ok ? "works: " + r.message : r.message;
        if (self->last_[name] == line)
          continue;
        self->last_[name] = line;
        if (r.ok)
          printf("vdid: TURN %s %s\n", name.c_str(), line.c_str());
        else
          fprintf(stderr, "vdid: warning: TURN %s: %s\n", name.c_str(), line.c_str());
        fflush(r.ok ? stdout : stderr);
      }
    },
    nullptr);
  g_task_set_task_data(task, job, [](gpointer p) { delete static_cast<Job *>(p); });
  g_task_run_in_thread(task, [](GTask *t, gpointer, gpointer data, GCancellable *) {
    auto *j = static_cast<Job *>(data);
    for (const auto &s : j->servers)
      j->results.push_back(probeTurnServer(s, j->credential, std::chrono::milliseconds(3000)));
    g_task_return_boolean(t, TRUE);
  });
}

} // namespace vdid
