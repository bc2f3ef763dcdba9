/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The sound of a session in vdid-worker (docs/sound.md):
 *
 *   pulsesrc device=vdi-speaker.monitor (20 ms) ! S16LE 48 kHz stereo ! tee
 *     tee. ! queue ! opusenc (10 ms frames, in-band FEC, DTX) ! vdiwebrtcsink.audio
 *     tee. ! valve ! queue ! audioconvert ! avenc_aac ! tee   (HLS and SRT,
 *            the valve is open only while one of them runs)
 *
 * and back: a control viewer's microphone, decoded by vdiwebrtcsink into
 * `pulsesink device=vdi-microphone-input` (its microphone-sink).
 *
 * Each encoder behind a leaky queue of its own (its own thread): neither
 * delivery path can hold back the other one.
 *
 * The capture is passive (node.passive): with no app playing, the session's
 * PipeWire graph suspends and the chain gets nothing (WebRTC: as with DTX).
 * A "keeper", an active capture of the same monitor into a fakesink (its
 * own pipeline), keeps the graph running while the stream must not have
 * holes: while HLS or SRT runs (their muxers and players want audio all
 * the time), and at start until the Opus encoder has made its first frame
 * (viewers need its caps to be offered audio).
 *
 * The capture bin starts after the pipeline plays and keeps its failures to
 * itself: if the sound server goes away, the capture is replaced by live
 * silence, so the Opus and AAC streams (and the viewers joining later, who
 * need caps) go on and only the sound ends.
 */

#pragma once

#include "capture-clock.h"

#include <gst/gst.h>

#include <string>

namespace vdid::worker {

/* The capture's period (pulsesrc latency-time, µs): docs/sound.md. */
constexpr gint64 kCapturePeriodUs = 20000;
/* libopus complexity (0-10, the encoder's default 10): docs/sound.md. */
constexpr int kOpusComplexity = 7;

struct Audio {
  GstElement *pipeline = nullptr;
  GstElement *capture = nullptr; /* pulsesrc, or the silence that replaced it */
  GstElement *caps = nullptr;    /* what the capture links to */
  GstElement *valve = nullptr;   /* in front of the AAC encoder */
  GstElement *aac_tee = nullptr; /* AAC for the HLS and SRT branches */
  GstElement *opus = nullptr;
  std::string device;           /* what the capture records */
  GstElement *keeper = nullptr; /* a pipeline, while the graph must run */
  bool aac_demand = false;
  bool opus_caps = false; /* the encoder has made its first frame */
  CaptureClock clock;     /* the capture's timestamps (its streaming thread) */
  bool failed = false;
};

/* Builds the chain into @pipeline and links it to @webrtcsink's audio pad;
 * @device is the PulseAudio source to record (vdi-speaker.monitor). The
 * capture stays stopped until startAudio(). False and @error if an element
 * is missing. */
bool buildAudio(Audio &a, GstElement *pipeline, GstElement *webrtcsink, const char *device,
                std::string *error);
/* The worker's Opus settings on @opus, an opusenc: 10 ms frames, in-band
 * FEC, DTX, 96 kbit/s, kOpusComplexity (docs/sound.md). */
void configureOpus(GstElement *opus);
/* @buf (a capture buffer of @frame bytes per sample frame) where @s puts
 * it: silence in front of it for lost samples, samples cut from its front
 * when the stream ran ahead, its pts and duration, discont. Takes @buf. */
GstBuffer *applyStamp(GstBuffer *buf, const CaptureClock::Stamp &s, gsize frame);
/* Starts the capture (call once the pipeline plays). */
void startAudio(Audio &a);
/* Whether a bus message comes from the audio chain (errors there cost
 * sound, not the session). */
bool ownsMessage(const Audio &a, GstObject *src);
/* The capture failed: replace it by silence (main thread). */
void captureFailed(Audio &a, const std::string &reason);
/* Lets control viewers' microphones play into the PulseAudio sink @device
 * (vdi-microphone-input, whose other end is the session's default source):
 * vdiwebrtcsink's microphone-sink. */
void connectMicrophone(GstElement *webrtcsink, const char *device);
/* Runs the AAC encoder (and the keeper) only while an HLS or SRT branch
 * needs it. */
void setAacDemand(Audio &a, bool on);
/* Stops the keeper (main thread; at exit). */
void stopKeeper(Audio &a);

} // namespace vdid::worker
