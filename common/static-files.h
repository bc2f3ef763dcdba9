/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Static files over libsoup, for vdid's web client and vdiwebrtcsink's
 * player page: one place that decides which request paths map to a file
 * under the root (plain names only, never "..") and which type a file has.
 */

#pragma once

#include <libsoup/soup.h>

#include <string>

namespace vdi {

/* The file under @root that @request_path names ("/" is /index.html), or ""
 * when the path is not a plain relative name: letters, digits and "-_./",
 * no "..", no empty root. */
std::string staticFilePath(const std::string &root, const std::string &request_path);

/* The Content-Type for a file name. */
const char *staticFileType(const std::string &path);

/* Answers @msg with the file @request_path names under @root (200 with its
 * type and "Cache-Control: no-cache") and returns 200; else answers
 * nothing and returns the status the caller should answer with (its own
 * error body): 404 when the file is not there or the path is not a plain
 * name, 405 for methods other than GET and HEAD. */
unsigned serveStaticFile(SoupServerMessage *msg, const std::string &root,
                         const std::string &request_path);

} // namespace vdi
