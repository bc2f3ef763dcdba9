/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "srt-server.h"

#include "ts-scan.h"

#include <srt/access_control.h>
#include <srt/srt.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <syslog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace vdi::srt {

namespace {

/* 7 TS packets: the usual SRT live payload. */
constexpr size_t kChunkSize = 7 * kTsPacketSize;

int64_t nowUs()
{
  return std::chrono::duration_cast<std::chrono::microseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

std::string addressString(const sockaddr *sa)
{
  if (!sa)
    return "?";
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (sa->sa_family == AF_INET) {
    auto *in = reinterpret_cast<const sockaddr_in *>(sa);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  if (sa->sa_family == AF_INET6) {
    auto *in6 = reinterpret_cast<const sockaddr_in6 *>(sa);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    port = ntohs(in6->sin6_port);
    return "[" + std::string(host) + "]:" + std::to_string(port);
  }
  return "?";
}

std::string lastError()
{
  return srt_getlasterror_str();
}

/* srt_startup()/srt_cleanup() are reference counted by libsrt. Refused
 * callers are normal for a server: libsrt's warnings about them would only
 * be noise on stderr, so only its errors are printed. */
struct SrtLibrary {
  SrtLibrary()
  {
    srt_startup();
    srt_setloglevel(LOG_ERR);
  }
  ~SrtLibrary() { srt_cleanup(); }
  SrtLibrary(const SrtLibrary &) = delete;
  SrtLibrary &operator=(const SrtLibrary &) = delete;
};

struct Caller {
  CallerInfo info;
  SRTSOCKET sock = SRT_INVALID_SOCK;
  bool waiting_keyframe = true;
  std::deque<std::shared_ptr<const std::string>> queue;
  size_t queued_bytes = 0;
  int64_t blocked_since_us = 0; /* queue non-empty and socket full since */
  bool watching_out = false;
  bool dead = false;
  std::string dead_reason;
  uint64_t bytes_dropped = 0;
  uint64_t resyncs = 0;
};

struct Session {
  SessionConfig config;
  TsScanner scanner;
  uint64_t bytes_in = 0;
  uint64_t keyframes = 0;
  std::vector<Caller *> callers;
};

/* Work for the handler, done after the lock is released. */
struct Notifications {
  std::vector<CallerInfo> added;
  std::vector<std::pair<CallerInfo, std::string>> removed;
  std::vector<std::string> keyframes;

  void deliver(Server::Handler *h)
  {
    for (auto &c : added)
      h->callerAdded(c);
    for (auto &[c, why] : removed)
      h->callerRemoved(c, why);
    std::sort(keyframes.begin(), keyframes.end());
    keyframes.erase(std::unique(keyframes.begin(), keyframes.end()), keyframes.end());
    for (auto &s : keyframes)
      h->keyframeWanted(s);
  }
};

class ServerImpl final : public Server
{
public:
  ServerImpl(const ServerConfig &config, Handler *handler) : config_(config), handler_(handler) {}
  ~ServerImpl() override;

  bool start(std::string *error);

  int port() const override { return port_; }
  bool addSession(const std::string &name, const SessionConfig &config) override;
  void configureSession(const std::string &name, const SessionConfig &config) override;
  void removeSession(const std::string &name) override;
  void push(const std::string &session, const uint8_t *data, size_t size) override;
  void dropCallers(const std::string &session, const std::string &why) override;
  std::vector<SessionStats> stats() override;
  size_t callerCount() override;

private:
  static int listenCallback(void *opaque, SRTSOCKET ns, int hsversion, const sockaddr *peer,
                            const char *streamid);
  int onHandshake(SRTSOCKET ns, int hsversion, const sockaddr *peer, const char *streamid);
  void run();
  void acceptPending(Notifications &n);
  void enqueue(Caller &c, const std::shared_ptr<const std::string> &chunk);
  void flush(Caller &c);
  void watchOut(Caller &c, bool on);
  void markDead(Caller &c, const std::string &why);
  void reap(Notifications &n);

  ServerConfig config_;
  Handler *handler_;
  SrtLibrary library_;
  SRTSOCKET listener_ = SRT_INVALID_SOCK;
  int eid_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopping_{false};

  std::mutex lock_;
  std::map<std::string, Session> sessions_;
  std::map<SRTSOCKET, std::unique_ptr<Caller>> callers_;
  uint64_t next_caller_id_ = 1;
};

bool setFlag(SRTSOCKET s, SRT_SOCKOPT opt, int value)
{
  return srt_setsockflag(s, opt, &value, sizeof value) != SRT_ERROR;
}

bool ServerImpl::start(std::string *error)
{
  auto fail = [&](const std::string &what) {
    *error = what;
    return false;
  };

  /* Resolve the listening address (numeric or name, IPv4 or IPv6). */
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo *res = nullptr;
  std::string service = std::to_string(config_.port);
  int gai = getaddrinfo(config_.address.empty() ? nullptr : config_.address.c_str(),
                        service.c_str(), &hints, &res);
  if (gai != 0 || !res)
    return fail("cannot resolve listening address \"" + config_.address +
                "\": " + gai_strerror(gai));
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> res_guard(res, freeaddrinfo);

  listener_ = srt_create_socket();
  if (listener_ == SRT_INVALID_SOCK)
    return fail("cannot create an SRT socket: " + lastError());
  int yes = 1, no = 0;
  int live = SRTT_LIVE;
  srt_setsockflag(listener_, SRTO_TRANSTYPE, &live, sizeof live);
  setFlag(listener_, SRTO_RCVSYN, no);
  setFlag(listener_, SRTO_SNDSYN, no);
  setFlag(listener_, SRTO_LATENCY, config_.latency_ms);
  setFlag(listener_, SRTO_PEERIDLETIMEO, std::max(1000, config_.caller_timeout_ms));
  setFlag(listener_, SRTO_TLPKTDROP, yes);
  if (!config_.passphrase.empty()) {
    if (srt_setsockflag(listener_, SRTO_PASSPHRASE, config_.passphrase.c_str(),
                        static_cast<int>(config_.passphrase.size())) == SRT_ERROR)
      return fail("invalid passphrase (10 to 79 characters): " + lastError());
  }
  if (config_.pbkeylen > 0 && !setFlag(listener_, SRTO_PBKEYLEN, config_.pbkeylen))
    return fail("invalid pbkeylen " + std::to_string(config_.pbkeylen) + ": " + lastError());

  if (srt_bind(listener_, res->ai_addr, static_cast<int>(res->ai_addrlen)) == SRT_ERROR)
    return fail("cannot bind SRT port " + addressString(res->ai_addr) + ": " + lastError());
  if (srt_listen_callback(listener_, &ServerImpl::listenCallback, this) == SRT_ERROR)
    return fail("cannot install the SRT listen callback: " + lastError());
  if (srt_listen(listener_, 64) == SRT_ERROR)
    return fail("cannot listen on SRT port: " + lastError());

  sockaddr_storage bound{};
  int len = sizeof bound;
  if (srt_getsockname(listener_, reinterpret_cast<sockaddr *>(&bound), &len) != SRT_ERROR) {
    if (bound.ss_family == AF_INET)
      port_ = ntohs(reinterpret_cast<sockaddr_in *>(&bound)->sin_port);
    else if (bound.ss_family == AF_INET6)
      port_ = ntohs(reinterpret_cast<sockaddr_in6 *>(&bound)->sin6_port);
  }

  eid_ = srt_epoll_create();
  if (eid_ < 0)
    return fail("cannot create an SRT epoll: " + lastError());
  srt_epoll_set(eid_, SRT_EPOLL_ENABLE_EMPTY);
  int ev = SRT_EPOLL_IN | SRT_EPOLL_ERR;
  srt_epoll_add_usock(eid_, listener_, &ev);

  thread_ = std::thread([this] { run(); });
  return true;
}

ServerImpl::~ServerImpl()
{
  stopping_ = true;
  if (thread_.joinable())
    thread_.join();
  /* No more handshakes (the callback refuses while stopping). */
  if (listener_ != SRT_INVALID_SOCK)
    srt_close(listener_);
  listener_ = SRT_INVALID_SOCK;
  Notifications n;
  {
    std::lock_guard<std::mutex> locker(lock_);
    for (auto &[sock, c] : callers_)
      markDead(*c, "server stopped");
    reap(n);
  }
  /* No handler calls from a dying server except the removals. */
  for (auto &[c, why] : n.removed)
    handler_->callerRemoved(c, why);
  if (eid_ >= 0)
    srt_epoll_release(eid_);
}

int ServerImpl::listenCallback(void *opaque, SRTSOCKET ns, int hsversion, const sockaddr *peer,
                               const char *streamid)
{
  return static_cast<ServerImpl *>(opaque)->onHandshake(ns, hsversion, peer, streamid);
}

int ServerImpl::onHandshake(SRTSOCKET ns, int hsversion, const sockaddr *peer,
                            const char *streamid_c)
{
  std::string address = addressString(peer);
  std::string text = streamid_c ? streamid_c : "";
  auto reject = [&](int reason, const std::string &why) {
    srt_setrejectreason(ns, reason);
    handler_->rejected(text, address, reason, why);
    return -1;
  };
  if (stopping_)
    return reject(SRT_REJX_DOWN, "server stopping");
  if (hsversion < 5)
    return reject(SRT_REJX_VERSION, "caller too old to send a stream id (HSv4)");

  std::string error;
  std::optional<StreamId> id = parseStreamId(text, &error);
  if (!id)
    return reject(SRT_REJX_BAD_REQUEST, error);
  if (id->mode != StreamMode::Request)
    return reject(SRT_REJX_BAD_MODE, "only reading is allowed (read:NAME or m=request)");

  SessionConfig cfg;
  {
    std::lock_guard<std::mutex> locker(lock_);
    auto it = sessions_.find(id->name);
    if (it == sessions_.end())
      return reject(SRT_REJX_NOTFOUND, "no session named \"" + id->name + "\"");
    cfg = it->second.config;
  }
  if (!cfg.user.empty() || !cfg.password.empty()) {
    /* Compare without an early exit on the first differing byte. */
    auto same = [](const std::string &a, const std::string &b) {
      unsigned diff = a.size() ^ b.size();
      for (size_t i = 0; i < a.size(); i++)
        diff |=
          static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(i < b.size() ? b[i] : 0);
      return diff == 0;
    };
    if (!id->user || !same(*id->user, cfg.user) || !same(id->password.value_or(""), cfg.password))
      return reject(SRT_REJX_UNAUTHORIZED, "wrong or missing credentials for \"" + id->name + "\"");
  }
  if (!handler_->authenticate(*id, address))
    return reject(SRT_REJX_FORBIDDEN, "refused by the application");

  const std::string &pass = cfg.passphrase.empty() ? config_.passphrase : cfg.passphrase;
  if (!cfg.passphrase.empty() && srt_setsockflag(ns, SRTO_PASSPHRASE, pass.c_str(),
                                                 static_cast<int>(pass.size())) == SRT_ERROR)
    return reject(SRT_REJX_ISE, "cannot set the session passphrase: " + lastError());
  return 0;
}

void ServerImpl::run()
{
  SRT_EPOLL_EVENT events[64];
  while (!stopping_) {
    int n = srt_epoll_uwait(eid_, events, 64, 100);
    Notifications notes;
    {
      std::lock_guard<std::mutex> locker(lock_);
      for (int i = 0; i < n; i++) {
        if (events[i].fd == listener_) {
          acceptPending(notes);
          continue;
        }
        auto it = callers_.find(events[i].fd);
        if (it == callers_.end())
          continue;
        Caller &c = *it->second;
        if (events[i].events & SRT_EPOLL_ERR)
          markDead(c, "caller disconnected");
        else if (events[i].events & SRT_EPOLL_OUT)
          flush(c);
      }
      int64_t now = nowUs();
      for (auto &[sock, c] : callers_) {
        if (c->dead)
          continue;
        SRT_SOCKSTATUS st = srt_getsockstate(sock);
        if (st == SRTS_BROKEN || st == SRTS_CLOSED || st == SRTS_NONEXIST)
          markDead(*c, "caller disconnected");
        else if (c->blocked_since_us &&
                 now - c->blocked_since_us > int64_t(config_.caller_timeout_ms) * 1000)
          markDead(*c, "caller stalled for more than " + std::to_string(config_.caller_timeout_ms) +
                         " ms");
      }
      reap(notes);
    }
    notes.deliver(handler_);
  }
}

void ServerImpl::acceptPending(Notifications &n)
{
  /* One per readiness event: the epoll is level-triggered, and libsrt logs
   * an error for an accept() with nothing pending. */
  {
    sockaddr_storage addr{};
    int len = sizeof addr;
    SRTSOCKET s = srt_accept(listener_, reinterpret_cast<sockaddr *>(&addr), &len);
    if (s == SRT_INVALID_SOCK)
      return;
    char sid[kMaxStreamIdLength + 1] = {};
    int sid_len = sizeof sid - 1;
    srt_getsockflag(s, SRTO_STREAMID, sid, &sid_len);
    std::optional<StreamId> id = parseStreamId(std::string(sid, std::max(0, sid_len)));
    auto it = id ? sessions_.find(id->name) : sessions_.end();
    if (it == sessions_.end()) {
      /* The session went away between handshake and accept. */
      srt_close(s);
      return;
    }
    int no = 0;
    srt_setsockflag(s, SRTO_SNDSYN, &no, sizeof no);
    auto c = std::make_unique<Caller>();
    c->sock = s;
    c->info.id = next_caller_id_++;
    c->info.session = id->name;
    c->info.address = addressString(reinterpret_cast<sockaddr *>(&addr));
    int ev = SRT_EPOLL_ERR;
    srt_epoll_add_usock(eid_, s, &ev);
    it->second.callers.push_back(c.get());
    n.added.push_back(c->info);
    n.keyframes.push_back(id->name);
    callers_.emplace(s, std::move(c));
  }
}

void ServerImpl::watchOut(Caller &c, bool on)
{
  if (c.watching_out == on)
    return;
  int ev = SRT_EPOLL_ERR | (on ? int(SRT_EPOLL_OUT) : 0);
  srt_epoll_update_usock(eid_, c.sock, &ev);
  c.watching_out = on;
}

void ServerImpl::enqueue(Caller &c, const std::shared_ptr<const std::string> &chunk)
{
  c.queue.push_back(chunk);
  c.queued_bytes += chunk->size();
}

void ServerImpl::flush(Caller &c)
{
  while (!c.queue.empty() && !c.dead) {
    const std::string &d = *c.queue.front();
    int r = srt_sendmsg2(c.sock, d.data(), static_cast<int>(d.size()), nullptr);
    if (r == SRT_ERROR) {
      int err = srt_getlasterror(nullptr);
      if (err == SRT_EASYNCSND) {
        if (!c.blocked_since_us)
          c.blocked_since_us = nowUs();
        watchOut(c, true);
        return;
      }
      markDead(c, std::string("send failed: ") + srt_strerror(err, 0));
      return;
    }
    c.queued_bytes -= d.size();
    c.queue.pop_front();
  }
  c.blocked_since_us = 0;
  watchOut(c, false);
}

void ServerImpl::markDead(Caller &c, const std::string &why)
{
  if (c.dead)
    return;
  c.dead = true;
  c.dead_reason = why;
}

void ServerImpl::reap(Notifications &n)
{
  for (auto it = callers_.begin(); it != callers_.end();) {
    Caller &c = *it->second;
    if (!c.dead) {
      ++it;
      continue;
    }
    auto s = sessions_.find(c.info.session);
    if (s != sessions_.end()) {
      auto &v = s->second.callers;
      v.erase(std::remove(v.begin(), v.end(), &c), v.end());
    }
    srt_epoll_remove_usock(eid_, c.sock);
    srt_close(c.sock);
    n.removed.emplace_back(c.info, c.dead_reason);
    it = callers_.erase(it);
  }
}

bool ServerImpl::addSession(const std::string &name, const SessionConfig &config)
{
  std::lock_guard<std::mutex> locker(lock_);
  auto [it, inserted] = sessions_.try_emplace(name);
  if (inserted)
    it->second.config = config;
  return inserted;
}

void ServerImpl::configureSession(const std::string &name, const SessionConfig &config)
{
  std::lock_guard<std::mutex> locker(lock_);
  auto it = sessions_.find(name);
  if (it != sessions_.end())
    it->second.config = config;
}

void ServerImpl::removeSession(const std::string &name)
{
  Notifications n;
  {
    std::lock_guard<std::mutex> locker(lock_);
    auto it = sessions_.find(name);
    if (it == sessions_.end())
      return;
    for (Caller *c : it->second.callers)
      markDead(*c, "session removed");
    reap(n);
    sessions_.erase(name);
  }
  n.deliver(handler_);
}

void ServerImpl::dropCallers(const std::string &session, const std::string &why)
{
  Notifications n;
  {
    std::lock_guard<std::mutex> locker(lock_);
    auto it = sessions_.find(session);
    if (it == sessions_.end())
      return;
    for (Caller *c : it->second.callers)
      markDead(*c, why);
    reap(n);
  }
  n.deliver(handler_);
}

void ServerImpl::push(const std::string &session, const uint8_t *data, size_t size)
{
  Notifications n;
  {
    std::lock_guard<std::mutex> locker(lock_);
    auto it = sessions_.find(session);
    if (it == sessions_.end())
      return;
    Session &s = it->second;
    s.bytes_in += size;
    size_t packets = size / kTsPacketSize;
    size_t first_key = packets;
    for (size_t i = 0; i < packets; i++) {
      if (s.scanner.feed(data + i * kTsPacketSize)) {
        s.keyframes++;
        if (first_key == packets)
          first_key = i;
      }
    }
    if (s.callers.empty())
      return;

    /* Chunks shared by every caller that is in sync. */
    std::vector<std::shared_ptr<const std::string>> all;
    auto chunked = [&](const uint8_t *p, size_t len, const std::string &prefix) {
      std::vector<std::shared_ptr<const std::string>> out;
      std::string pending = prefix;
      size_t off = 0;
      while (off < len || !pending.empty()) {
        size_t take = std::min(len - off, kChunkSize - pending.size());
        pending.append(reinterpret_cast<const char *>(p + off), take);
        off += take;
        if (pending.size() == kChunkSize || off >= len) {
          out.push_back(std::make_shared<const std::string>(std::move(pending)));
          pending.clear();
        }
      }
      return out;
    };
    for (Caller *c : s.callers) {
      if (c->dead)
        continue;
      if (c->waiting_keyframe) {
        if (first_key == packets || !s.scanner.haveTables())
          continue;
        c->waiting_keyframe = false;
        size_t off = first_key * kTsPacketSize;
        for (auto &chunk :
             chunked(data + off, packets * kTsPacketSize - off, s.scanner.psiPackets()))
          enqueue(*c, chunk);
      } else {
        if (all.empty())
          all = chunked(data, packets * kTsPacketSize, std::string());
        for (auto &chunk : all)
          enqueue(*c, chunk);
      }
      if (c->queued_bytes > config_.queue_limit_bytes) {
        /* Overflow: drop what is queued, resume at the next keyframe. */
        c->bytes_dropped += c->queued_bytes;
        c->resyncs++;
        c->queue.clear();
        c->queued_bytes = 0;
        c->waiting_keyframe = true;
        n.keyframes.push_back(session);
        continue;
      }
      flush(*c);
    }
    reap(n);
  }
  n.deliver(handler_);
}

std::vector<SessionStats> ServerImpl::stats()
{
  std::lock_guard<std::mutex> locker(lock_);
  std::vector<SessionStats> out;
  for (auto &[name, s] : sessions_) {
    SessionStats ss;
    ss.name = name;
    ss.bytes_in = s.bytes_in;
    ss.keyframes = s.keyframes;
    for (Caller *c : s.callers) {
      CallerStats cs;
      cs.info = c->info;
      SRT_TRACEBSTATS perf{};
      if (srt_bstats(c->sock, &perf, 0) != SRT_ERROR) {
        cs.bytes_sent = perf.byteSentTotal;
        cs.packets_sent = perf.pktSentTotal;
        cs.packets_retransmitted = perf.pktRetransTotal;
        cs.packets_dropped = perf.pktSndDropTotal;
        cs.rtt_ms = perf.msRTT;
        cs.bandwidth_mbps = perf.mbpsBandwidth;
        cs.send_rate_mbps = perf.mbpsSendRate;
      }
      cs.bytes_dropped = c->bytes_dropped;
      cs.resyncs = c->resyncs;
      cs.queued_bytes = c->queued_bytes;
      cs.waiting_keyframe = c->waiting_keyframe;
      ss.callers.push_back(std::move(cs));
    }
    out.push_back(std::move(ss));
  }
  return out;
}

size_t ServerImpl::callerCount()
{
  std::lock_guard<std::mutex> locker(lock_);
  return callers_.size();
}

} // namespace

std::unique_ptr<Server> Server::create(const ServerConfig &config, Handler *handler,
                                       std::string *error)
{
  auto server = std::make_unique<ServerImpl>(config, handler);
  std::string err;
  if (!server->start(&err)) {
    if (error)
      *error = err;
    return nullptr;
  }
  return server;
}

std::string rejectReasonString(int reason)
{
  switch (reason) {
  case SRT_REJX_BAD_REQUEST:
    return "bad request (400)";
  case SRT_REJX_UNAUTHORIZED:
    return "unauthorized (401)";
  case SRT_REJX_FORBIDDEN:
    return "forbidden (403)";
  case SRT_REJX_NOTFOUND:
    return "not found (404)";
  case SRT_REJX_BAD_MODE:
    return "bad mode (405)";
  case SRT_REJX_DOWN:
    return "service down (503)";
  case SRT_REJX_VERSION:
    return "version not supported (505)";
  case SRT_REJX_ISE:
    return "internal server error (500)";
  default:
    if (reason < SRT_REJC_PREDEFINED)
      return srt_rejectreason_str(reason);
    return "reject code " + std::to_string(reason);
  }
}

} // namespace vdi::srt
