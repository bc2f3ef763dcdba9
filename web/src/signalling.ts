// Client side of the gst-plugins-rs WebRTC signalling protocol, as spoken
// by vdiwebrtcsink (docs/webrtc.md): connect, list producers, start a
// session, answer the producer's offer, trickle ICE. Reusable by any page.

import { holdMessages } from './input';

export type Json = Record<string, unknown>;

export interface SessionOptions {
  /** RTCPeerConnection configuration (ICE servers...). */
  rtcConfig?: RTCConfiguration;
  /** Called with every signalling message received (for logs and tests). */
  onMessage?: (msg: Json) => void;
  /** Called for `error` messages from the producer. */
  onError?: (details: string) => void;
  /** Called when the producer ends the session. */
  onEnded?: () => void;
  /** Called with the peer connection as soon as it exists (before any ICE). */
  onPeerConnection?: (pc: RTCPeerConnection) => void;
  /** Be ready to send the microphone: when the producer's offer lets this
   * viewer send audio (`a=sendrecv`: a control viewer of a session that
   * takes microphones), answer `sendrecv` with no track yet. A track is
   * put in later with `replaceTrack()`, without renegotiation. */
  microphone?: boolean;
}

/** One viewing session: the peer connection, its media and its input channel. */
export interface Session {
  id: string;
  pc: RTCPeerConnection;
  stream: MediaStream;
  /** The producer's `control` data channel, once open. */
  channel: Promise<RTCDataChannel>;
  close(): void;
}

/** Asks the receiver to play frames as soon as they are decoded (a remote
 * desktop wants the lowest delay, not the smoothest playout). */
export function lowLatency(receiver: RTCRtpReceiver): void {
  const r = receiver as unknown as Record<string, unknown>;
  try {
    if ('jitterBufferTarget' in r) r.jitterBufferTarget = 0;
    else if ('playoutDelayHint' in r) r.playoutDelayHint = 0;
  } catch {
    // not supported: keep the browser's default
  }
}

/** Makes the audio transceiver send-receive when @offer allows it. */
function allowMicrophone(pc: RTCPeerConnection, offer: string): void {
  for (const section of offer.split(/\r?\nm=/).slice(1)) {
    if (!section.startsWith('audio') || !/\r?\na=sendrecv/.test(section)) continue;
    const mid = /\r?\na=mid:(\S+)/.exec(section)?.[1];
    const t = pc.getTransceivers().find((x) => x.mid === mid);
    if (t) t.direction = 'sendrecv';
  }
}

export class SignallingClient {
  readonly ws: WebSocket;
  peerId = '';
  private waiters: Array<{ match: (m: Json) => boolean; resolve: (m: Json) => void }> = [];
  private sessions = new Map<string, { pc: RTCPeerConnection; opts: SessionOptions }>();
  private opened: Promise<void>;
  onMessage?: (msg: Json) => void;
  onError?: (details: string) => void;
  onClose?: () => void;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.opened = new Promise((resolve, reject) => {
      this.ws.addEventListener('open', () => resolve(), { once: true });
      this.ws.addEventListener('error', () => reject(new Error(`cannot connect to ${url}`)), {
        once: true,
      });
    });
    this.ws.addEventListener('message', (ev) => this.dispatch(String(ev.data)));
    this.ws.addEventListener('close', () => {
      for (const s of this.sessions.values()) s.opts.onEnded?.();
      this.sessions.clear();
      this.onClose?.();
    });
  }

  /** Resolves once connected and welcomed. */
  async ready(): Promise<void> {
    const welcome = this.next((m) => m.type === 'welcome');
    await this.opened;
    const peerId = (await welcome).peerId;
    this.peerId = typeof peerId === 'string' ? peerId : '';
  }

  send(msg: Json | string): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** The next message that satisfies @match. */
  next(match: (m: Json) => boolean, timeoutMs = 10000): Promise<Json> {
    return new Promise((resolve, reject) => {
      const w = { match, resolve };
      this.waiters.push(w);
      setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) {
          this.waiters.splice(i, 1);
          reject(new Error('timed out waiting for a signalling message'));
        }
      }, timeoutMs);
    });
  }

  /** The producers; may be asked at once, before the welcome came: the
   * request goes out as soon as the socket is open, which saves a round
   * trip (the server answers in order, vdid keeps what comes early). */
  async listProducers(): Promise<Array<{ id: string; meta?: unknown }>> {
    await this.opened;
    const reply = this.next((m) => m.type === 'list');
    this.send({ type: 'list' });
    return ((await reply).producers as Array<{ id: string; meta?: unknown }>) ?? [];
  }

  /** Starts a session with @producerId (the first listed one if empty). */
  async startSession(producerId = '', opts: SessionOptions = {}): Promise<Session> {
    if (!producerId) {
      const producers = await this.listProducers();
      if (!producers.length) throw new Error('no producer');
      producerId = producers[0].id;
    }
    const started = this.next((m) => m.type === 'sessionStarted' || m.type === 'error');
    this.send({ type: 'startSession', peerId: producerId });
    const reply = await started;
    if (reply.type === 'error') throw new Error(String(reply.details));
    const id = String(reply.sessionId);
    const pc = new RTCPeerConnection(opts.rtcConfig);
    opts.onPeerConnection?.(pc);
    const stream = new MediaStream();
    pc.ontrack = (ev) => {
      lowLatency(ev.receiver);
      stream.addTrack(ev.track);
    };
    pc.onicecandidate = (ev) => {
      if (ev.candidate)
        this.send({
          type: 'peer',
          sessionId: id,
          ice: { candidate: ev.candidate.candidate, sdpMLineIndex: ev.candidate.sdpMLineIndex ?? 0 },
        });
    };
    const channel = new Promise<RTCDataChannel>((resolve) => {
      pc.ondatachannel = (ev) => {
        const ch = ev.channel;
        // `control` is the request/response channel; `input` takes bare events.
        if (ch.label !== 'control') return;
        holdMessages(ch);
        if (ch.readyState === 'open') resolve(ch);
        else ch.addEventListener('open', () => resolve(ch), { once: true });
      };
    });
    this.sessions.set(id, { pc, opts });
    return {
      id,
      pc,
      stream,
      channel,
      close: () => {
        if (this.sessions.delete(id) && this.ws.readyState === WebSocket.OPEN)
          this.send({ type: 'endSession', sessionId: id });
        pc.close();
      },
    };
  }

  close(): void {
    for (const [id, s] of this.sessions) {
      s.pc.close();
      this.sessions.delete(id);
    }
    this.ws.close();
  }

  private async dispatch(text: string): Promise<void> {
    let msg: Json;
    try {
      msg = JSON.parse(text) as Json;
    } catch {
      return;
    }
    this.onMessage?.(msg);
    const w = this.waiters.find((x) => x.match(msg));
    if (w) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(msg);
    }
    const sid = typeof msg.sessionId === 'string' ? msg.sessionId : '';
    const s = this.sessions.get(sid);
    s?.opts.onMessage?.(msg);
    if (msg.type === 'error') {
      this.onError?.(String(msg.details));
      for (const x of this.sessions.values()) x.opts.onError?.(String(msg.details));
    } else if (msg.type === 'endSession' && s) {
      this.sessions.delete(sid);
      s.pc.close();
      s.opts.onEnded?.();
    } else if (msg.type === 'peer' && s) {
      const sdp = msg.sdp as { type: RTCSdpType; sdp: string } | undefined;
      const ice = msg.ice as { candidate: string; sdpMLineIndex: number } | undefined;
      try {
        if (sdp && sdp.type === 'offer') {
          await s.pc.setRemoteDescription(sdp);
          if (s.opts.microphone) allowMicrophone(s.pc, sdp.sdp);
          const answer = await s.pc.createAnswer();
          await s.pc.setLocalDescription(answer);
          this.send({ type: 'peer', sessionId: sid, sdp: { type: 'answer', sdp: answer.sdp } });
        } else if (ice && ice.candidate) {
          await s.pc.addIceCandidate({ candidate: ice.candidate, sdpMLineIndex: ice.sdpMLineIndex });
        }
      } catch (e) {
        s.opts.onError?.(String(e));
      }
    }
  }
}
