/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdid's one port under hostile clients (issue 16): a burst of connects,
 * thousands of idle and slow-header connections, one address holding too
 * many, a thousand unauthenticated WebSocket upgrades. A real user on
 * another address must sign in and get /health quickly throughout, and
 * vdid must shed every hostile connection by itself.
 */

#include "vdid-fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <fstream>
#include <numeric>

using namespace vdi::test;

namespace {

/* A TCP connection from @source (a loopback address: 127.0.0.0/8 is all
 * ours) to vdid; -1 when connect() failed. Blocking connect: returns once
 * the handshake is done. */
int connectFrom(const std::string &source, unsigned port, double *connect_ms = nullptr)
{
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in src{};
  src.sin_family = AF_INET;
  inet_pton(AF_INET, source.c_str(), &src.sin_addr);
  if (bind(fd, reinterpret_cast<sockaddr *>(&src), sizeof src) < 0) {
    close(fd);
    return -1;
  }
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(uint16_t(port));
  dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  gint64 t0 = g_get_monotonic_time();
  if (connect(fd, reinterpret_cast<sockaddr *>(&dst), sizeof dst) < 0) {
    close(fd);
    return -1;
  }
  if (connect_ms)
    *connect_ms = (g_get_monotonic_time() - t0) / 1000.0;
  return fd;
}

/* True once the peer closed @fd (EOF or reset), without blocking. */
bool closedByPeer(int fd)
{
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, 0) <= 0)
    return false;
  char buf[512];
  ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

/* How many of @fds the peer has closed, once @want are or @timeout passed. */
size_t waitClosed(const std::vector<int> &fds, size_t want, std::chrono::milliseconds timeout,
                  std::chrono::milliseconds poll)
{
  size_t closed = 0;
  std::vector<bool> seen(fds.size(), false);
  eventually(
    timeout,
    [&] {
      for (size_t i = 0; i < fds.size(); i++)
        if (!seen[i] && closedByPeer(fds[i])) {
          seen[i] = true;
          closed++;
        }
      return closed >= want;
    },
    poll);
  return closed;
}

/* Whether @frames (server-to-client WebSocket frames, unmasked) hold a
 * close frame, as the last one. */
bool endsWithCloseFrame(const std::string &frames)
{
  size_t pos = 0;
  int last = -1;
  while (pos + 2 <= frames.size()) {
    int opcode = uint8_t(frames[pos]) & 0x0f;
    size_t len = uint8_t(frames[pos + 1]) & 0x7f, head = 2;
    if (len == 126) {
      if (pos + 4 > frames.size())
        return false;
      len = (size_t(uint8_t(frames[pos + 2])) << 8) | uint8_t(frames[pos + 3]);
      head = 4;
    }
    if (pos + head + len > frames.size())
      return false;
    last = opcode;
    pos += head + len;
  }
  return pos == frames.size() && last == 0x8;
}

unsigned portOf(const std::string &base)
{
  return static_cast<unsigned>(std::stoul(base.substr(base.rfind(':') + 1)));
}

int openFdsOf(pid_t pid)
{
  g_autofree char *dir = g_strdup_printf("/proc/%d/fd", pid);
  g_autoptr(GDir) d = g_dir_open(dir, 0, nullptr);
  int n = 0;
  while (d && g_dir_read_name(d))
    n++;
  return n;
}

double metric(const std::string &text, const std::string &name)
{
  std::smatch m;
  if (!std::regex_search(text, m, std::regex("\n" + name + " ([0-9.e+]+)")))
    return -1;
  return std::stod(m[1]);
}

/* A vdid whose request time-out is short enough for a test. */
struct HostileVdid : SessionVdid {
  HostileVdid() : SessionVdid("[server]\nrequest-timeout=15\nmax-connections-per-address=100\n") {}
  unsigned port() { return portOf(vdid->base); }

  /* Median and worst /health time of @n requests by the real user. */
  std::pair<double, double> healthMs(int n)
  {
    Client c;
    std::vector<double> ms;
    for (int i = 0; i < n; i++) {
      gint64 t0 = g_get_monotonic_time();
      Response r = c.request("GET", vdid->base + "/health");
      ms.push_back((g_get_monotonic_time() - t0) / 1000.0);
      CHECK(r.status == 200);
    }
    std::sort(ms.begin(), ms.end());
    return {ms[ms.size() / 2], ms.back()};
  }
};

} // namespace

TEST_CASE_METHOD(HostileVdid, "a burst of 500 connects is accepted without SYN retries",
                 "[vdid][hostile]")
{
  std::vector<int> fds;
  std::vector<double> ms;
  for (int i = 0; i < 500; i++) {
    double t = 0;
    /* Ten addresses, 50 each: under the per-address cap. */
    int fd = connectFrom("127.0.1." + std::to_string(1 + i % 10), port(), &t);
    REQUIRE(fd >= 0);
    fds.push_back(fd);
    ms.push_back(t);
  }
  std::sort(ms.begin(), ms.end());
  INFO("connect median " << ms[ms.size() / 2] << " ms, worst " << ms.back() << " ms");
  /* A full accept queue answers with a 1 s SYN retransmit. */
  CHECK(ms.back() <= 200);
  CHECK(eventually(
    5s, [&] { return openFdsOf(vdid->proc->pid()) >= 500; }, 50ms));
  auto [median, worst] = healthMs(10);
  INFO("/health after the burst: median " << median << " ms, worst " << worst << " ms");
  fprintf(stderr,
          "figures: 500-connect burst: connect median %.3f ms, worst %.1f ms; /health median %.1f "
          "ms, worst %.1f ms\n",
          ms[ms.size() / 2], ms.back(), median, worst);
  CHECK(median <= 100);
  CHECK(worst <= 300); /* a shared 2-core CI machine: the figure is in benchmarks.md */
  for (int fd : fds)
    close(fd);
}

TEST_CASE_METHOD(HostileVdid, "2000 idle and slow connections are shed while a user works",
                 "[vdid][hostile]")
{
  int fds_before = openFdsOf(vdid->proc->pid());
  std::vector<int> fds;
  for (int i = 0; i < 2000; i++) {
    /* 40 addresses, 50 each. */
    int fd = connectFrom("127.0.2." + std::to_string(1 + i % 40), port());
    REQUIRE(fd >= 0);
    /* Half never say a word; half start a request and never end it. */
    if (i % 2) {
      const char *partial = "GET /health HTTP/1.1\r\nHost: vdid\r\nX-Slow: ";
      REQUIRE(send(fd, partial, strlen(partial), MSG_NOSIGNAL) > 0);
    }
    fds.push_back(fd);
  }
  /* vdid holds them all and still serves the real user at once. */
  int held = 0;
  eventually(
    14s, [&] { return (held = openFdsOf(vdid->proc->pid())) >= fds_before + 1995; }, 100ms);
  INFO("vdid holds " << held << " fds, " << fds_before << " before");
  CHECK(held >= fds_before + 1995);
  auto [median, worst] = healthMs(20);
  INFO("/health with 2,000 hostile connections: median " << median << " ms, worst " << worst
                                                         << " ms");
  CHECK(median <= 100);
  CHECK(worst <= 300);
  fprintf(stderr, "figures: %d hostile connections held: /health median %.1f ms, worst %.1f ms\n",
          held - fds_before, median, worst);
  Client c;
  gint64 login_start = g_get_monotonic_time();
  Response login = c.request("POST", vdid->base + "/api/v1/login",
                             "{\"user\":\"" + user + "\",\"password\":\"pw1\"}");
  CHECK(login.status == 200);
  CHECK_FALSE(login.set_cookie.empty());
  fprintf(stderr, "figures: sign-in beside them: %.1f ms\n",
          (g_get_monotonic_time() - login_start) / 1000.0);

  /* Within the 15 s request time-out (and some slack) every hostile
   * connection is closed by vdid itself. */
  size_t closed = waitClosed(fds, fds.size(), 25s, 100ms);
  CHECK(closed == fds.size());
  fprintf(stderr, "figures: all %zu shed by the 15 s request time-out\n", closed);
  for (int fd : fds)
    close(fd);
  CHECK(eventually(5s, [&] { return openFdsOf(vdid->proc->pid()) <= fds_before + 10; }));
  std::string text = c.request("GET", vdid->base + "/metrics", "", owner).body;
  CHECK(metric(text, "vdi_http_requests_timed_out_total") >= 2000);
}

TEST_CASE_METHOD(HostileVdid, "one address over max-connections-per-address is cut at once",
                 "[vdid][hostile]")
{
  std::vector<int> fds;
  for (int i = 0; i < 150; i++) {
    int fd = connectFrom("127.0.3.1", port());
    REQUIRE(fd >= 0);
    fds.push_back(fd);
  }
  /* Long before the time-out: the 50 over the cap are closed. */
  size_t closed = waitClosed(fds, 50, 1500ms, 20ms);
  CHECK(closed == 50);
  /* Another address is not affected. */
  auto [median, worst] = healthMs(5);
  CHECK(median <= 100);
  CHECK(worst <= 300);
  for (int fd : fds)
    close(fd);
  Client c;
  std::string text = c.request("GET", vdid->base + "/metrics", "", owner).body;
  CHECK(metric(text, "vdi_http_connections_refused_total") >= 50);
}

TEST_CASE_METHOD(HostileVdid, "1000 unauthenticated WebSocket upgrades are refused",
                 "[vdid][hostile]")
{
  int fds_before = openFdsOf(vdid->proc->pid());
  const std::string upgrade = "GET /api/v1/sessions/nope/signalling HTTP/1.1\r\n"
                              "Host: vdid\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Version: 13\r\n\r\n";
  unsigned refused = 0;
  for (int i = 0; i < 1000; i++) {
    int fd = connectFrom("127.0.4." + std::to_string(1 + i % 20), port());
    REQUIRE(fd >= 0);
    REQUIRE(send(fd, upgrade.data(), upgrade.size(), MSG_NOSIGNAL) == ssize_t(upgrade.size()));
    /* Either a refusal status or a handshake that vdid closes at once with
     * a policy-violation close frame: never an open signalling socket. */
    std::string got;
    char buf[1024];
    pollfd p{fd, POLLIN, 0};
    while (poll(&p, 1, 3000) > 0) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0)
        break;
      got.append(buf, size_t(n));
    }
    bool status_refusal = got.rfind("HTTP/1.1 4", 0) == 0;
    size_t hdr_end = got.find("\r\n\r\n");
    bool closed_ws = got.rfind("HTTP/1.1 101", 0) == 0 && hdr_end != std::string::npos &&
                     endsWithCloseFrame(got.substr(hdr_end + 4));
    refused += status_refusal || closed_ws;
    if (!status_refusal && !closed_ws && i < 3)
      WARN("upgrade answer: " << got.substr(0, 300));
    close(fd);
  }
  CHECK(refused == 1000);
  auto [median, worst] = healthMs(5);
  CHECK(median <= 100);
  CHECK(worst <= 300);
  CHECK(eventually(5s, [&] { return openFdsOf(vdid->proc->pid()) <= fds_before + 10; }));
}

namespace {

/* Sends @head then @body_size bytes of 'a' on a new connection from
 * 127.0.3.1 and returns what vdid answered before it closed the
 * connection (or @timeout passed); sending stops quietly if vdid closes
 * first. */
std::string rawExchange(unsigned port, const std::string &head, size_t body_size,
                        std::chrono::milliseconds timeout)
{
  int fd = connectFrom("127.0.3.1", port);
  REQUIRE(fd >= 0);
  send(fd, head.data(), head.size(), MSG_NOSIGNAL);
  std::string block(64 * 1024, 'a');
  for (size_t sent = 0; sent < body_size;) {
    ssize_t n = send(fd, block.data(), std::min(block.size(), body_size - sent), MSG_NOSIGNAL);
    if (n <= 0)
      break;
    sent += size_t(n);
  }
  std::string answer;
  gint64 deadline = g_get_monotonic_time() + timeout.count() * 1000;
  char buf[4096];
  while (g_get_monotonic_time() < deadline) {
    pollfd p{fd, POLLIN, 100};
    if (poll(&p, 1, 100) <= 0)
      continue;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0)
      break;
    answer.append(buf, size_t(n));
  }
  close(fd);
  return answer;
}

/* VmHWM (peak resident set) of @pid in KiB. */
long peakRssKib(pid_t pid)
{
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0)
      return std::stol(line.substr(6));
  return -1;
}

} // namespace

TEST_CASE_METHOD(HostileVdid, "oversize bodies and headers get a clear answer, never memory",
                 "[vdid][hostile]")
{
  const std::string post =
    "POST /api/v1/sessions HTTP/1.1\r\nHost: vdid\r\nAuthorization: " + owner +
    "\r\nContent-Type: application/json\r\n";
  long peak_before = peakRssKib(vdid->proc->pid());

  /* A Content-Length over 1 MiB asking to continue: refused before one
   * byte of the body is sent. */
  std::string early =
    rawExchange(port(), post + "Content-Length: 2097152\r\nExpect: 100-continue\r\n\r\n", 0, 3s);
  CHECK(early.rfind("HTTP/1.1 413", 0) == 0);
  CHECK(early.find("the request body is larger than 1048576 bytes") != std::string::npos);

  /* A length past 2^63, which libsoup reads as negative. */
  std::string huge =
    rawExchange(port(), post + "Content-Length: 9488888888888888889\r\n\r\n{}", 0, 3s);
  CHECK(huge.rfind("HTTP/1.1 413", 0) == 0);

  /* 64 MiB sent at once: answered 413, and dropped as it came. */
  std::string big = rawExchange(port(), post + "Content-Length: 67108864\r\n\r\n", 64 << 20, 10s);
  CHECK(big.rfind("HTTP/1.1 413", 0) == 0);

  /* Chunked, no length: counted as the chunks arrive. */
  std::string chunk(64 * 1024, 'a');
  char size_line[32];
  snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
  std::string chunks;
  for (int i = 0; i < 32; i++) /* 2 MiB */
    chunks += size_line + chunk + "\r\n";
  std::string chunked =
    rawExchange(port(), post + "Transfer-Encoding: chunked\r\n\r\n" + chunks + "0\r\n\r\n", 0, 5s);
  CHECK(chunked.rfind("HTTP/1.1 413", 0) == 0);

  long peak_after = peakRssKib(vdid->proc->pid());
  INFO("vdid peak RSS " << peak_before << " KiB before, " << peak_after << " KiB after");
  CHECK(peak_after - peak_before < 16 * 1024);

  /* Headers over libsoup's 64 KiB: the connection is shut at once, without
   * an answer (libsoup has none for it; docs/vdid.md). */
  gint64 t0 = g_get_monotonic_time();
  std::string headers = rawExchange(
    port(), "GET /health HTTP/1.1\r\nHost: vdid\r\nX-Big: " + std::string(100000, 'x') + "\r\n\r\n",
    0, 5s);
  CHECK(headers.empty());
  CHECK(g_get_monotonic_time() - t0 < 2 * G_USEC_PER_SEC);

  /* vdid serves on: a sign-in, a session request of normal size. */
  Client c;
  CHECK(c.request("POST", vdid->base + "/api/v1/login", "{\"user\":\"bob\",\"password\":\"pw2\"}")
          .status == 200);
  Response bad = c.request("POST", vdid->base + "/api/v1/sessions", "{\"width\":\"x\"}", owner);
  CHECK(bad.status == 400);
  std::string text = c.request("GET", vdid->base + "/metrics", "", owner).body;
  CHECK(metric(text, "vdi_http_bodies_too_large_total") == 4);
  fprintf(stderr, "figures: 64 MiB body refused: vdid peak RSS +%ld KiB\n",
          peak_after - peak_before);
}

TEST_CASE("an oversize WHEP offer is answered 413 and the session streams on",
          "[vdid][hostile][streams]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  SessionVdid v("stream=true\n");
  Client c;
  std::string id;
  std::string url = startStreamingSession(v, c, &id);
  std::string whep = v.vdid->base + "/whep/" + id;
  std::string offer = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
  auto post = [&](size_t size) {
    return "POST /whep/" + id + " HTTP/1.1\r\nHost: vdid\r\nAuthorization: " + v.owner +
           "\r\nContent-Type: application/sdp\r\nContent-Length: " +
           std::to_string(offer.size() + size) + "\r\n\r\n" + offer;
  };
  std::string r = rawExchange(portOf(v.vdid->base), post(100 * 1024), 100 * 1024, 5s);
  CHECK(r.rfind("HTTP/1.1 413", 0) == 0);
  CHECK(r.find("an SDP offer may hold at most 64 KiB") != std::string::npos);
  /* Over the body cap: refused before the handler. */
  r = rawExchange(portOf(v.vdid->base), post(2 << 20), 2 << 20, 5s);
  CHECK(r.rfind("HTTP/1.1 413", 0) == 0);
  CHECK(r.find("the request body is larger than 1048576 bytes") != std::string::npos);
  CHECK(member(c.request("GET", url, "", v.owner).body, "state") == "running");
}

TEST_CASE_METHOD(HostileVdid, "a route's bare prefix is answered 404, not a crash",
                 "[vdid][hostile]")
{
  /* "/hls" and "/whep" reach the handlers of "/hls/..." and "/whep/...";
   * they made vdid throw std::out_of_range and abort (fuzz-vdid-http). */
  Client c;
  for (const char *path : {"/hls", "/whep", "/hls/", "/whep/", "/hls/x"}) {
    Response r = c.request("GET", vdid->base + path, "", owner);
    INFO(path);
    CHECK(r.status == 404);
  }
  CHECK(c.request("GET", vdid->base + "/health").status == 200);
}

TEST_CASE_METHOD(HostileVdid, "a client that left half-way stops counting against its address",
                 "[vdid][hostile]")
{
  /* max-connections-per-address=100: 100 requests cut off half-way. */
  std::vector<int> fds;
  for (int i = 0; i < 100; i++) {
    int fd = connectFrom("127.0.3.1", port());
    REQUIRE(fd >= 0);
    const char *partial = "GET /health HTTP/1.1\r\nHost: vdid\r\nX-Slow: ";
    REQUIRE(send(fd, partial, strlen(partial), MSG_NOSIGNAL) > 0);
    fds.push_back(fd);
  }
  Client c;
  REQUIRE(eventually(
    5s,
    [&] {
      return metric(c.request("GET", vdid->base + "/metrics", "", owner).body,
                    "vdi_http_connections_open") >= 100;
    },
    50ms));
  for (int fd : fds)
    close(fd);
  /* Long before the 15 s time-out, the address may connect again. */
  gint64 t0 = g_get_monotonic_time();
  bool served = eventually(
    3s,
    [&] {
      return rawExchange(port(), "GET /health HTTP/1.1\r\nHost: vdid\r\nConnection: close\r\n\r\n",
                         0, 1s)
               .rfind("HTTP/1.1 200", 0) == 0;
    },
    50ms);
  CHECK(served);
  fprintf(stderr, "figures: address free again %.2f s after its 100 clients left\n",
          (g_get_monotonic_time() - t0) / 1e6);
}

namespace {

/* Reads one HTTP response (headers and a Content-Length body) from @s. */
bool readResponse(GIOStream *s, std::string *status_line)
{
  GInputStream *in = g_io_stream_get_input_stream(s);
  std::string got;
  char buf[4096];
  for (;;) {
    if (httpResponseComplete(got)) {
      *status_line = got.substr(0, got.find("\r\n"));
      return true;
    }
    gssize n = g_input_stream_read(in, buf, sizeof buf, nullptr, nullptr);
    if (n <= 0)
      return false;
    got.append(buf, size_t(n));
  }
}

/* @n keep-alive clients (TLS if @tls) that each get /health, then leave
 * without a word: vdid is back to the fds it had long before the request
 * time-out (15 s) could have closed them. libsoup 3.2 alone keeps every
 * one in CLOSE-WAIT for ever. */
void keepAliveClientsLeave(Vdid &vdid, bool tls, int n)
{
  pid_t pid = vdid.proc->pid();
  int fds_before = openFdsOf(pid);
  g_autoptr(GSocketClient) client = g_socket_client_new();
  if (tls) {
    g_socket_client_set_tls(client, TRUE);
    /* Our self-signed certificate. */
    g_signal_connect(client, "event",
                     G_CALLBACK(+[](GSocketClient *, GSocketClientEvent event, GSocketConnectable *,
                                    GIOStream *conn, gpointer) {
                       if (event == G_SOCKET_CLIENT_TLS_HANDSHAKING)
                         g_signal_connect(conn, "accept-certificate",
                                          G_CALLBACK(+[] { return TRUE; }), nullptr);
                     }),
                     nullptr);
  }
  unsigned port = portOf(vdid.base);
  std::vector<GSocketConnection *> conns;
  for (int i = 0; i < n; i++) {
    GError *error = nullptr;
    GSocketConnection *c =
      g_socket_client_connect_to_host(client, "127.0.0.1", guint16(port), nullptr, &error);
    INFO((error ? error->message : ""));
    REQUIRE(c);
    const char *get = "GET /health HTTP/1.1\r\nHost: vdid\r\n\r\n";
    REQUIRE(g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(c)), get,
                                      strlen(get), nullptr, nullptr, nullptr));
    std::string status;
    REQUIRE(readResponse(G_IO_STREAM(c), &status));
    CHECK(status == "HTTP/1.1 200 OK");
    conns.push_back(c);
  }
  /* Kept alive: vdid holds one fd each (give or take the two transient
   * ones the check after allows too: fds_before once caught one). */
  int held = openFdsOf(pid);
  INFO("vdid holds " << held << " fds, " << fds_before << " before");
  CHECK(held >= fds_before - 2 + n);
  gint64 t0 = g_get_monotonic_time();
  for (GSocketConnection *c : conns) {
    g_io_stream_close(G_IO_STREAM(c), nullptr, nullptr);
    g_object_unref(c);
  }
  int now = held;
  CHECK(eventually(
    5s, [&] { return (now = openFdsOf(pid)) <= fds_before + 2; }, 50ms));
  INFO("vdid holds " << now << " fds after the clients left");
  fprintf(stderr, "figures: %d %s keep-alive clients left: vdid at %d fds (%d before) in %.2f s\n",
          n, tls ? "HTTPS" : "HTTP", now, fds_before, (g_get_monotonic_time() - t0) / 1e6);
}

} // namespace

TEST_CASE_METHOD(HostileVdid, "keep-alive clients that leave give their fds back at once",
                 "[vdid][hostile]")
{
  keepAliveClientsLeave(*vdid, false, 200);
  Client c;
  std::string text = c.request("GET", vdid->base + "/metrics", "", owner).body;
  CHECK(metric(text, "vdi_http_idle_connections_closed_total") >= 200);
  CHECK(metric(text, "vdi_http_requests_timed_out_total") == 0);
  CHECK(metric(text, "vdi_http_connections_idle") <= 1); /* this client's own */
}

TEST_CASE("HTTPS keep-alive clients that leave give their fds back at once", "[vdid][hostile]")
{
  SelfSigned tls;
  SessionVdid v("[server]\nrequest-timeout=15\nmax-connections-per-address=300\n"
                "tls-certificate=" +
                tls.cert + "\ntls-key=" + tls.key + "\n");
  REQUIRE(v.vdid->base.rfind("https://", 0) == 0);
  keepAliveClientsLeave(*v.vdid, true, 100);
}
