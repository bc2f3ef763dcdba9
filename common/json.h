/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Small helpers over json-glib, the one place the project reads and builds
 * JSON: vdid's API and worker protocol, the WebRTC signalling messages and
 * the input messages all use them.
 *
 * Readers check the type of a member and, when it is wrong or missing,
 * say so naming the member ("\"width\" must be a whole number"), so every
 * entry point answers bad input the same way. Writer builds one object (or
 * array) and returns compact text.
 */

#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include <cstdint>
#include <initializer_list>
#include <string>

namespace vdi::json {

/* Deepest nesting of objects and arrays a Document takes: json-glib
 * parses recursively, and a deep enough text would overflow the stack. */
constexpr int kMaxDepth = 64;

/* Whether @text is one JSON value (with blanks around it) nested at most
 * @maxDepth deep, using nothing but JSON's own characters outside strings;
 * else false with @error. json-glib 1.6 takes more than that and leaks:
 * it reads "{...} {...}" as two documents, keeps the last and never frees
 * the others (a peer sending such lines grows the process without end),
 * and it also takes comments and 'single-quoted' strings. */
bool singleValue(const char *text, size_t length, int maxDepth, std::string *error);

/* A parsed document; owns the parser and so every node read from it. */
class Document
{
public:
  explicit Document(int maxDepth = kMaxDepth);
  ~Document();
  Document(const Document &) = delete;
  Document &operator=(const Document &) = delete;

  /* Parses @text; returns its root object, or nullptr with @error set
   * ("not valid JSON: ...", "must be a JSON object"). */
  JsonObject *parseObject(const char *text, size_t length, std::string *error);
  /* Parses @text; returns the root node (any kind) or nullptr. */
  JsonNode *parse(const char *text, size_t length, std::string *error);

private:
  JsonParser *parser_;
  int maxDepth_;
};

/* Member readers. A missing or null member is an error when @required,
 * else leaves @out untouched and returns true. Strings must be valid
 * UTF-8. */
bool getString(JsonObject *o, const char *name, std::string *out, std::string *error,
               bool required = true);
/* A finite number (integer or not). */
bool getNumber(JsonObject *o, const char *name, double *out, std::string *error,
               bool required = true);
/* A whole number in [min, max]. */
bool getInt(JsonObject *o, const char *name, int64_t min, int64_t max, int64_t *out,
            std::string *error, bool required = true);
/* true/false; @present says whether the member was there. */
bool getBool(JsonObject *o, const char *name, bool *out, bool *present, std::string *error);

/* The member as a string, or "" when absent or not a string (for fields
 * whose absence the caller treats as empty). */
std::string stringOr(JsonObject *o, const char *name, const std::string &fallback = {});
/* The member as a whole number / number / boolean, or @fallback when absent
 * or of another type (json-glib's *_member_with_default() return NULL or 0
 * with a critical for a member of the wrong type: never use them on
 * untrusted text). */
int64_t intOr(JsonObject *o, const char *name, int64_t fallback = 0);
double numberOr(JsonObject *o, const char *name, double fallback = 0);
bool boolOr(JsonObject *o, const char *name, bool fallback = false);
/* The member if it is an object / array, else nullptr. */
JsonObject *objectOf(JsonObject *o, const char *name);
JsonArray *arrayOf(JsonObject *o, const char *name);

/* Fails, naming the first member of @o that is not in @known ("unknown
 * field \"app\""). */
bool onlyKnown(JsonObject *o, std::initializer_list<const char *> known, std::string *error);

/* Compact text of a node / object. */
std::string toString(JsonNode *node);
std::string toString(JsonObject *object);

/* Builds JSON text:
 *   Writer w; w.begin().set("type", "welcome").set("peerId", id).end();
 *   std::string text = w.text();
 * begin()/end() open and close an object, beginArray()/endArray() an
 * array; name() sets the member name for the next value or container. */
class Writer
{
public:
  Writer();
  ~Writer();
  Writer(const Writer &) = delete;
  Writer &operator=(const Writer &) = delete;

  Writer &begin(const char *name = nullptr);
  Writer &end();
  Writer &beginArray(const char *name = nullptr);
  Writer &endArray();
  Writer &name(const char *name);

  Writer &set(const char *name, const std::string &value) { return this->name(name).value(value); }
  Writer &set(const char *name, const char *value) { return this->name(name).value(value); }
  Writer &set(const char *name, int64_t value) { return this->name(name).value(value); }
  Writer &set(const char *name, int value) { return this->name(name).value(int64_t(value)); }
  Writer &set(const char *name, unsigned value) { return this->name(name).value(int64_t(value)); }
  Writer &set(const char *name, double value) { return this->name(name).value(value); }
  Writer &set(const char *name, bool value) { return this->name(name).value(value); }
  Writer &setNull(const char *name) { return this->name(name).null(); }
  /* @json is JSON text; a member that does not parse becomes null. */
  Writer &setRaw(const char *name, const std::string &json) { return this->name(name).raw(json); }

  Writer &value(const std::string &v);
  Writer &value(const char *v); /* nullptr: null */
  Writer &value(int64_t v);
  Writer &value(double v);
  Writer &value(bool v);
  Writer &null();
  Writer &raw(const std::string &json);
  /* Takes ownership of @node. */
  Writer &node(JsonNode *node);

  /* The text of what was built; call after the last end(). */
  std::string text();
  /* The root node (new reference), for json-glib APIs. */
  JsonNode *root();

private:
  JsonBuilder *b_;
};

} // namespace vdi::json
