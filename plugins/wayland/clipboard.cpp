/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "clipboard.h"

#include "wlr-data-control-unstable-v1-client-protocol.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

GST_DEBUG_CATEGORY_STATIC(vdi_clipboard_debug);
#define GST_CAT_DEFAULT vdi_clipboard_debug

namespace vdi {

namespace {

/* How long a transfer that would block waits before it tries again. */
constexpr uint64_t kRetryNs = 500 * 1000;
/* A transfer that makes no progress for this long is dropped. */
constexpr int64_t kStallNs = 10 * GST_SECOND;

const char *const kTextAliases[] = {"text/plain;charset=utf-8", "text/plain", "UTF8_STRING",
                                    "STRING", "TEXT"};

bool isText(const std::string &mime)
{
  return mime.rfind("text/plain", 0) == 0 || mime == "UTF8_STRING" || mime == "STRING" ||
         mime == "TEXT";
}

int64_t nowNs()
{
  return g_get_monotonic_time() * 1000;
}

} // namespace

struct Clipboard::Offer {
  zwlr_data_control_offer_v1 *offer;
  std::vector<std::string> mimes;
};

struct Clipboard::Source {
  zwlr_data_control_source_v1 *source;
  std::vector<std::string> mimes;
  GBytes *data;
  Clipboard *self;
  ~Source()
  {
    zwlr_data_control_source_v1_destroy(source);
    g_bytes_unref(data);
  }
};

struct Clipboard::Transfer {
  int fd = -1;
  bool reading = false;
  std::string mime;
  GBytes *out = nullptr; /* writing: the data, and how far we are */
  size_t offset = 0;
  GByteArray *in = nullptr; /* reading */
  uint64_t serial = 0;
  int64_t last_progress = 0;
  ~Transfer()
  {
    if (fd >= 0)
      close(fd);
    if (out)
      g_bytes_unref(out);
    if (in)
      g_byte_array_unref(in);
  }
};

std::unique_ptr<Clipboard> Clipboard::create(WaylandConnection &conn, size_t limit,
                                             ChangedCallback changed, WarningCallback warning)
{
  static std::once_flag once;
  std::call_once(once, [] {
    GST_DEBUG_CATEGORY_INIT(vdi_clipboard_debug, "vdiclipboard", 0, "gst-vdi clipboard");
  });
  if (!conn.seat())
    return nullptr;
  auto *manager = static_cast<zwlr_data_control_manager_v1 *>(
    conn.bindGlobal(&zwlr_data_control_manager_v1_interface, 1));
  if (!manager)
    return nullptr;
  std::unique_ptr<Clipboard> cb(new Clipboard(conn));
  cb->manager_ = manager;
  cb->limit_ = limit;
  cb->changed_ = std::move(changed);
  cb->warning_ = std::move(warning);
  /* The seat proxy lives on the connection's queue, so does the device. */
  cb->device_ = zwlr_data_control_manager_v1_get_data_device(manager, conn.seat());
  static const zwlr_data_control_device_v1_listener listener = {
    deviceDataOffer, deviceSelection, deviceFinished, devicePrimarySelection};
  zwlr_data_control_device_v1_add_listener(cb->device_, &listener, cb.get());
  return cb;
}

Clipboard::Clipboard(WaylandConnection &conn) : conn_(conn) {}

Clipboard::~Clipboard()
{
  transfers_.clear();
  sources_.clear();
  for (auto &o : offers_)
    zwlr_data_control_offer_v1_destroy(o->offer);
  offers_.clear();
  if (device_)
    zwlr_data_control_device_v1_destroy(device_);
  if (manager_)
    zwlr_data_control_manager_v1_destroy(manager_);
}

std::string Clipboard::pickMime(const std::vector<std::string> &mimes)
{
  for (const char *want :
       {"text/plain;charset=utf-8", "text/plain", "UTF8_STRING", "STRING", "TEXT", "image/png"}) {
    if (std::find(mimes.begin(), mimes.end(), want) != mimes.end())
      return want;
  }
  for (const auto &m : mimes)
    if (m.rfind("image/", 0) == 0)
      return m;
  return mimes.empty() ? "" : mimes.front();
}

/* ---- setting the selection ----------------------------------------------- */

bool Clipboard::set(const std::string &mime, GBytes *data, std::string *error)
{
  if (!device_) {
    *error = "the seat's clipboard is gone";
    return false;
  }
  if (g_bytes_get_size(data) > limit_) {
    *error = "clipboard data of " + std::to_string(g_bytes_get_size(data)) +
             " bytes is larger than the limit of " + std::to_string(limit_) + " bytes";
    return false;
  }
  auto src = std::make_unique<Source>();
  src->source = zwlr_data_control_manager_v1_create_data_source(manager_);
  src->data = g_bytes_ref(data);
  src->self = this;
  if (isText(mime))
    src->mimes.assign(std::begin(kTextAliases), std::end(kTextAliases));
  if (std::find(src->mimes.begin(), src->mimes.end(), mime) == src->mimes.end())
    src->mimes.insert(src->mimes.begin(), mime);
  static const zwlr_data_control_source_v1_listener listener = {sourceSend, sourceCancelled};
  zwlr_data_control_source_v1_add_listener(src->source, &listener, src.get());
  for (const auto &m : src->mimes)
    zwlr_data_control_source_v1_offer(src->source, m.c_str());
  zwlr_data_control_device_v1_set_selection(device_, src->source);
  GST_DEBUG("set the selection: %s, %zu bytes", mime.c_str(), g_bytes_get_size(data));
  sources_.push_back(std::move(src));
  return true;
}

void Clipboard::sourceSend(void *data, zwlr_data_control_source_v1 *, const char *mime, int32_t fd)
{
  auto *src = static_cast<Source *>(data);
  Clipboard *self = src->self;
  auto t = std::make_shared<Transfer>();
  t->fd = fd;
  t->mime = mime;
  if (std::find(src->mimes.begin(), src->mimes.end(), mime) == src->mimes.end()) {
    GST_DEBUG("paste asked for %s, which we do not offer", mime);
    return; /* closes fd */
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  t->out = g_bytes_ref(src->data);
  t->last_progress = nowNs();
  self->transfers_.push_back(t);
  self->pump(t);
}

void Clipboard::sourceCancelled(void *data, zwlr_data_control_source_v1 *)
{
  auto *src = static_cast<Source *>(data);
  Clipboard *self = src->self;
  /* Replaced by another selection; pastes in progress keep their data. */
  self->sources_.erase(std::remove_if(self->sources_.begin(), self->sources_.end(),
                                      [src](const auto &s) { return s.get() == src; }),
                       self->sources_.end());
}

/* ---- watching the selection ---------------------------------------------- */

void Clipboard::deviceDataOffer(void *data, zwlr_data_control_device_v1 *,
                                zwlr_data_control_offer_v1 *offer)
{
  auto *self = static_cast<Clipboard *>(data);
  auto o = std::make_unique<Offer>();
  o->offer = offer;
  static const zwlr_data_control_offer_v1_listener listener = {offerOffer};
  zwlr_data_control_offer_v1_add_listener(offer, &listener, o.get());
  self->offers_.push_back(std::move(o));
}

void Clipboard::offerOffer(void *data, zwlr_data_control_offer_v1 *, const char *mime)
{
  auto *o = static_cast<Offer *>(data);
  if (o->mimes.size() < 64)
    o->mimes.push_back(mime);
}

void Clipboard::destroyOffer(zwlr_data_control_offer_v1 *offer)
{
  auto it = std::find_if(offers_.begin(), offers_.end(),
                         [offer](const auto &o) { return o->offer == offer; });
  if (it != offers_.end()) {
    zwlr_data_control_offer_v1_destroy(offer);
    offers_.erase(it);
  }
}

void Clipboard::deviceSelection(void *data, zwlr_data_control_device_v1 *,
                                zwlr_data_control_offer_v1 *offer)
{
  auto *self = static_cast<Clipboard *>(data);
  if (self->selection_ && self->selection_ != offer)
    self->destroyOffer(self->selection_);
  self->selection_ = offer;
  if (!offer)
    return;
  /* The selection is our own source as long as it has not been cancelled. */
  if (!self->changed_) /* not watching */
    return;
  if (!self->sources_.empty()) {
    GST_LOG("selection is ours");
    return;
  }
  self->startRead(offer);
}

void Clipboard::devicePrimarySelection(void *data, zwlr_data_control_device_v1 *,
                                       zwlr_data_control_offer_v1 *offer)
{
  /* Not bound at version 2, but be safe: we do not track it. */
  if (offer)
    static_cast<Clipboard *>(data)->destroyOffer(offer);
}

void Clipboard::deviceFinished(void *data, zwlr_data_control_device_v1 *)
{
  auto *self = static_cast<Clipboard *>(data);
  GST_INFO("data control device finished (seat gone)");
  zwlr_data_control_device_v1_destroy(self->device_);
  self->device_ = nullptr;
}

void Clipboard::startRead(zwlr_data_control_offer_v1 *offer)
{
  auto it = std::find_if(offers_.begin(), offers_.end(),
                         [offer](const auto &o) { return o->offer == offer; });
  if (it == offers_.end())
    return;
  std::string mime = pickMime((*it)->mimes);
  if (mime.empty())
    return;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) {
    GST_WARNING("pipe: %s", g_strerror(errno));
    return;
  }
  /* Bigger pipes mean fewer wake-ups for large selections. */
  fcntl(fds[0], F_SETPIPE_SZ, 1 << 20);
  zwlr_data_control_offer_v1_receive(offer, mime.c_str(), fds[1]);
  /* libwayland has duplicated the descriptor; the writer is the owner. */
  close(fds[1]);
  wl_display_flush(conn_.display());
  auto t = std::make_shared<Transfer>();
  t->fd = fds[0];
  t->reading = true;
  t->mime = mime;
  t->in = g_byte_array_new();
  t->serial = ++read_serial_;
  t->last_progress = nowNs();
  transfers_.push_back(t);
  GST_DEBUG("reading the new selection as %s", mime.c_str());
  pump(t);
}

void Clipboard::pump(const std::shared_ptr<Transfer> &t)
{
  bool done = false;
  bool failed = false;
  std::string why;
  while (true) {
    if (t->reading) {
      guint8 chunk[65536];
      ssize_t n = read(t->fd, chunk, sizeof(chunk));
      if (n > 0) {
        t->last_progress = nowNs();
        if (t->in->len + static_cast<size_t>(n) > limit_) {
          failed = true;
          why = "the session's clipboard (" + t->mime + ") is larger than the limit of " +
                std::to_string(limit_) + " bytes; not forwarded";
          break;
        }
        g_byte_array_append(t->in, chunk, static_cast<guint>(n));
        continue;
      }
      if (n == 0) {
        done = true;
        break;
      }
    } else {
      gsize size;
      const auto *bytes = static_cast<const guint8 *>(g_bytes_get_data(t->out, &size));
      if (t->offset >= size) {
        done = true;
        break;
      }
      ssize_t n = write(t->fd, bytes + t->offset, size - t->offset);
      if (n > 0) {
        t->offset += static_cast<size_t>(n);
        t->last_progress = nowNs();
        continue;
      }
    }
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN) {
      if (nowNs() - t->last_progress > kStallNs) {
        failed = true;
        why = "clipboard transfer stalled for 10 s; dropped";
        break;
      }
      std::weak_ptr<Transfer> weak = t;
      conn_.postDelayed(kRetryNs, [this, weak] {
        if (auto tt = weak.lock())
          pump(tt);
      });
      return;
    }
    failed = true;
    why = std::string("clipboard transfer failed: ") + g_strerror(errno);
    break;
  }
  if (failed) {
    GST_WARNING("%s", why.c_str());
    if (warning_)
      warning_(why);
  } else if (done && t->reading) {
    /* Only the newest selection counts. */
    if (t->serial == read_serial_ && changed_) {
      g_autoptr(GBytes) data = g_byte_array_free_to_bytes(t->in);
      t->in = nullptr;
      GST_DEBUG("the session's clipboard is %zu bytes of %s", g_bytes_get_size(data),
                t->mime.c_str());
      changed_(t->mime, data);
    }
  }
  finish(t);
}

void Clipboard::finish(const std::shared_ptr<Transfer> &t)
{
  /* The weak pointers of pending retries expire with it. */
  transfers_.erase(std::remove(transfers_.begin(), transfers_.end(), t), transfers_.end());
}

GstStructure *Clipboard::reportStructure(const std::string &mime, GBytes *data)
{
  gsize size = 0;
  const auto *raw = static_cast<const guchar *>(g_bytes_get_data(data, &size));
  g_autofree gchar *b64 = g_base64_encode(raw, size);
  return gst_structure_new("vdi-clipboard", "mime", G_TYPE_STRING, mime.c_str(), "data",
                           G_TYPE_STRING, b64, "bytes", G_TYPE_BYTES, data, "size", G_TYPE_UINT64,
                           static_cast<guint64>(size), nullptr);
}

GParamSpec *clipboardLimitParamSpec()
{
  return g_param_spec_uint64(
    "clipboard-limit", "Clipboard limit",
    "Largest clipboard content in bytes, either way (never truncated)", 0, G_MAXUINT32,
    kDefaultClipboardLimit,
    static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
}

} // namespace vdi
