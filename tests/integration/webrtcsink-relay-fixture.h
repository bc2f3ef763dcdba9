/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The relayed side of the vdiwebrtcsink tests (on top of
 * webrtcsink-fixture.h): a sink without a server whose signalling and WHEP
 * the test relays through the element's action signals, as vdid does, a
 * real Chromium consumer on that relay, and the data-channel messages the
 * relayed cases send.
 */

#pragma once

#include "webrtcsink-fixture.h"

namespace vdi::test {

/* A relayed pipeline (see Pipeline) with what the relay tests look at. */
class RelayPipeline : public Pipeline
{
public:
  explicit RelayPipeline(const std::string &head, const std::string &sinkProps = "")
    : Pipeline(head, sinkProps, Mode::Relayed)
  {
  }

  /* The stats structure of the one viewer there is (a copy), or null. */
  GstStructure *viewerStats() const
  {
    GstStructure *stats = nullptr;
    g_object_get(sink(), "stats", &stats, nullptr);
    GstStructure *out = nullptr;
    for (int i = 0; stats && i < gst_structure_n_fields(stats); i++) {
      const GValue *v = gst_structure_get_value(stats, gst_structure_nth_field_name(stats, i));
      if (GST_VALUE_HOLDS_STRUCTURE(v) && !out)
        out = gst_structure_copy(gst_value_get_structure(v));
    }
    if (stats)
      gst_structure_free(stats);
    return out;
  }
  /* Waits for an element message @name from an element whose factory is
   * @factory; returns a copy of its structure or null. */
  GstStructure *waitElementMessage(const char *name, const char *factory,
                                   std::chrono::milliseconds timeout)
  {
    g_autoptr(GstBus) bus = gst_element_get_bus(pipeline());
    int64_t deadline = monotonicMs() + timeout.count();
    while (monotonicMs() < deadline) {
      GstMessage *m = gst_bus_timed_pop_filtered(bus, 100 * GST_MSECOND, GST_MESSAGE_ELEMENT);
      if (!m)
        continue;
      GstElementFactory *f = GST_IS_ELEMENT(GST_MESSAGE_SRC(m))
                               ? gst_element_get_factory(GST_ELEMENT(GST_MESSAGE_SRC(m)))
                               : nullptr;
      GstStructure *out = nullptr;
      if (gst_message_has_name(m, name) && f && !strcmp(GST_OBJECT_NAME(f), factory))
        out = gst_structure_copy(gst_message_get_structure(m));
      gst_message_unref(m);
      if (out)
        return out;
    }
    return nullptr;
  }
};

/* Real Chromium as a consumer whose signalling the test relays through
 * add-peer / handle-message / send-message (tests/browser/webrtc.mjs
 * "relay": a blank page, its own RTCPeerConnection, stdio transport). */
class RelayedViewer
{
public:
  explicit RelayedViewer(GstElement *sink) : sink_(sink)
  {
    g_autofree char *producer = nullptr;
    g_object_get(sink, "peer-id", &producer, nullptr);
    browser_ = browser({"relay", "-", producer});
    handler_ = g_signal_connect(sink, "send-message", G_CALLBACK(onSend), this);
    /* The element greets the peer only after add-peer returned: holding the
     * lock the handler takes around the call is all a relay needs. */
    std::lock_guard<std::mutex> l(lock_);
    g_autofree gchar *peer = nullptr;
    g_signal_emit_by_name(sink, "add-peer", &peer);
    REQUIRE(peer);
    peer_ = peer;
  }
  ~RelayedViewer()
  {
    g_signal_handler_disconnect(sink_, handler_);
    {
      std::lock_guard<std::mutex> l(lock_);
      browser_->send("quit");
    }
    browser_->wait(20000ms);
    g_signal_emit_by_name(sink_, "remove-peer", peer_.c_str());
  }
  RelayedViewer(const RelayedViewer &) = delete;
  RelayedViewer &operator=(const RelayedViewer &) = delete;

  const std::string &peer() const { return peer_; }

  /* Relays until the page's data channel is open ("event ready"). */
  void waitReady()
  {
    auto ready = pump("ready", 60000ms);
    INFO(log);
    REQUIRE(ready);
  }

  /* Reads the browser's output, relaying its signalling, until a line
   * "event NAME JSON"; returns JSON. Other data-channel messages seen on
   * the way are kept in channel. */
  std::optional<std::string> pump(const std::string &name, std::chrono::milliseconds timeout)
  {
    int64_t deadline = monotonicMs() + timeout.count();
    const std::string want = "event " + name + " ";
    while (monotonicMs() < deadline) {
      auto line = browser_->readLine(std::chrono::milliseconds(deadline - monotonicMs()));
      if (!line)
        break;
      if (line->rfind("event send ", 0) == 0) {
        g_signal_emit_by_name(sink_, "handle-message", peer_.c_str(), line->c_str() + 11);
        continue;
      }
      if (line->rfind(want, 0) == 0)
        return line->substr(want.size());
      if (line->rfind("event channel ", 0) == 0)
        channel.push_back(line->substr(14));
      else
        log += *line + "\n";
    }
    return std::nullopt;
  }

  /* Sends @json (an input message with "id":@id) on the data channel and
   * returns the ControlResponseMessage for it ("" after a timeout). */
  std::string request(int id, const std::string &json)
  {
    {
      std::lock_guard<std::mutex> l(lock_);
      browser_->send("send " + json);
    }
    int64_t deadline = monotonicMs() + 10000;
    while (monotonicMs() < deadline) {
      auto r = pump("response", std::chrono::milliseconds(deadline - monotonicMs()));
      if (!r)
        break;
      JsonDoc d(*r);
      if (jint(d.root, "id") == id)
        return *r;
    }
    return "";
  }

  /* The first data-channel message of @type (kept or arriving within
   * @timeout), removed from channel; "" if none. */
  std::string channelMessage(const std::string &type, std::chrono::milliseconds timeout)
  {
    int64_t deadline = monotonicMs() + timeout.count();
    do {
      for (auto it = channel.begin(); it != channel.end(); ++it) {
        JsonDoc d(*it);
        if (jstr(d.root, "type") == type) {
          std::string out = *it;
          channel.erase(it);
          return out;
        }
      }
      auto r = pump("channel", std::chrono::milliseconds(std::max<int64_t>(
                                 1, std::min<int64_t>(200, deadline - monotonicMs()))));
      if (r)
        channel.push_back(*r);
    } while (monotonicMs() < deadline);
    return "";
  }

  std::vector<std::string> channel;
  std::string log; /* lines not otherwise consumed, for failure messages */

private:
  static void onSend(GstElement *, const char *peer, const char *json, gpointer data)
  {
    auto *self = static_cast<RelayedViewer *>(data);
    std::lock_guard<std::mutex> l(self->lock_);
    if (self->peer_ == peer)
      self->browser_->send(std::string("msg ") + json);
  }

  GstElement *sink_;
  std::unique_ptr<Process> browser_;
  gulong handler_ = 0;
  std::mutex lock_; /* peer_ and writes to the browser's stdin */
  std::string peer_;
};

inline std::string navigationJson(int id, const char *event, const char *key)
{
  return "{\"id\":" + std::to_string(id) +
         ",\"request\":{\"type\":\"navigationEvent\",\"event\":{\"event\":\"" + event +
         "\",\"key\":\"" + key + "\"}}}";
}

inline std::string customJson(int id, const char *name, const std::string &structure)
{
  return "{\"id\":" + std::to_string(id) +
         ",\"request\":{\"type\":\"customUpstreamEvent\",\"structureName\":\"" + name +
         "\",\"structure\":" + structure + "}}";
}

inline std::string base64(const std::string &s)
{
  g_autofree char *b = g_base64_encode(reinterpret_cast<const guchar *>(s.data()), s.size());
  return b;
}

inline std::string unbase64(const std::string &s)
{
  gsize n = 0;
  g_autofree guchar *d = g_base64_decode(s.c_str(), &n);
  return std::string(reinterpret_cast<const char *>(d), n);
}

inline std::string readWholeFile(const std::string &path)
{
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline guint whepPatch(GstElement *sink, const char *resource, const char *fragment)
{
  guint status = 0;
  g_signal_emit_by_name(sink, "whep-patch", resource, fragment, &status);
  return status;
}

inline guint whepDelete(GstElement *sink, const char *resource)
{
  guint status = 0;
  g_signal_emit_by_name(sink, "whep-delete", resource, &status);
  return status;
}

inline const char *kFragment = "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijklmn\r\n"
                               "m=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n"
                               "a=candidate:1 1 udp 2113937151 127.0.0.1 9 typ host\r\n";

/* What the element sends relayed peers (send-message), kept until a test
 * takes it; waits are woken by the signal. */
struct Relay {
  std::mutex lock;
  std::condition_variable changed;
  std::vector<std::pair<std::string, std::string>> messages;
  static void onSend(GstElement *, const char *peer, const char *json, gpointer data)
  {
    auto *self = static_cast<Relay *>(data);
    {
      std::lock_guard<std::mutex> l(self->lock);
      self->messages.emplace_back(peer, json);
    }
    self->changed.notify_all();
  }
  /* The first message of @type for @peer (taken), waiting up to @timeout;
   * "" if none came. */
  std::string waitFor(const std::string &peer, const std::string &type,
                      std::chrono::milliseconds timeout = 5000ms)
  {
    std::unique_lock<std::mutex> l(lock);
    std::string out;
    changed.wait_for(l, timeout, [&] {
      for (auto it = messages.begin(); it != messages.end(); ++it) {
        JsonDoc d(it->second);
        if (it->first == peer && d.root && type == jstr(d.root, "type")) {
          out = it->second;
          messages.erase(it);
          return true;
        }
      }
      return false;
    });
    return out;
  }
};

/* whep-answer emissions, in order; waits are woken by the signal. */
struct WhepAnswers {
  struct Answer {
    std::string resource;
    guint status;
    std::string body;
  };
  std::mutex lock;
  std::condition_variable changed;
  std::vector<Answer> answers;
  static void onAnswer(GstElement *, const char *resource, guint status, const char *body,
                       gpointer data)
  {
    auto *self = static_cast<WhepAnswers *>(data);
    {
      std::lock_guard<std::mutex> l(self->lock);
      self->answers.push_back({resource ? resource : "", status, body ? body : ""});
    }
    self->changed.notify_all();
  }
  std::optional<Answer> waitFor(const std::string &resource, std::chrono::milliseconds timeout)
  {
    std::unique_lock<std::mutex> l(lock);
    std::optional<Answer> out;
    changed.wait_for(l, timeout, [&] {
      for (auto &a : answers)
        if (a.resource == resource)
          out = a;
      return out.has_value();
    });
    return out;
  }
  size_t count()
  {
    std::lock_guard<std::mutex> l(lock);
    return answers.size();
  }
};

/* A real sway desktop captured into a relayed vdiwebrtcsink, with the
 * recording client mapped before the capture starts if @input_client.
 * Check REQUIRE_SWAY() / REQUIRE_INPUT_CLIENT() first. @keepalive (ms)
 * repeats a still desktop's frame. */
struct SwayRelay {
  SwaySession sway;
  std::unique_ptr<Process> client;
  RelayPipeline p;
  explicit SwayRelay(int keepalive, bool input_client = false)
    : client(input_client ? spawnInputClient(sway) : nullptr),
      p(swayHead(sway, "keepalive=" + std::to_string(keepalive)))
  {
  }
};

} // namespace vdi::test
