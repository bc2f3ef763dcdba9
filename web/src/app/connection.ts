// The connection of the desktop view to one session: WebRTC through vdid's
// signalling relay, reconnection with backoff when it drops, and HLS
// (hls.js, view-only) when WebRTC cannot connect at all.

import Hls from 'hls.js';

import { InputChannel } from '../input';
import { Session, SignallingClient } from '../signalling';
import { ReceiverStats, StatsSampler } from '../stats';
import { Api, ApiError, SessionInfo } from './api';

export type ConnState = 'connecting' | 'playing' | 'reconnecting' | 'hls' | 'ended' | 'failed' | 'lost';

export interface ConnectionEvents {
  state(state: ConnState, detail: string): void;
  channel(ch: InputChannel): void;
  stats(s: ReceiverStats): void;
}

export interface ConnectionOptions {
  /** ICE policy: "relay" forces TURN only (to test the fallback: with no
   * TURN server WebRTC cannot connect). */
  iceTransportPolicy?: RTCIceTransportPolicy;
  /** "webrtc" (default: WebRTC, HLS if it cannot connect), "hls" (only HLS), "webrtc-only". */
  transport?: 'webrtc' | 'hls' | 'webrtc-only';
  /** Seconds WebRTC gets to show a first frame before the fallback. */
  connectTimeout?: number;
}

const BACKOFF_S = [0.5, 1, 2, 4, 8, 15];

export class Connection {
  state: ConnState = 'connecting';
  signalling?: SignallingClient;
  rtc?: Session;
  hls?: Hls;
  sampler?: StatsSampler;
  /** Reconnections made so far (for the status line and tests). */
  reconnects = 0;
  framesPresented = 0;
  lastStats?: ReceiverStats;
  /** The last STUN/TURN error of the current connection attempt, or ''. */
  iceError = '';
  private attempt = 0;
  private everPlayed = false;
  private closed = false;
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private statsTimer?: ReturnType<typeof setInterval>;
  private generation = 0;

  constructor(
    readonly api: Api,
    public info: SessionInfo,
    readonly video: HTMLVideoElement,
    readonly events: ConnectionEvents,
    readonly options: ConnectionOptions = {},
  ) {
    const count = () => {
      if (this.closed) return;
      this.framesPresented++;
      // Only a frame of the current WebRTC stream means it plays: tearing a
      // connection down (srcObject = null) also presents a frame.
      const live = this.rtc !== undefined && video.srcObject === this.rtc.stream;
      if ((this.state === 'connecting' || this.state === 'reconnecting') && live && !this.hls)
        this.setState('playing', '');
      video.requestVideoFrameCallback(count);
    };
    if ('requestVideoFrameCallback' in video) video.requestVideoFrameCallback(count);
    this.statsTimer = setInterval(() => void this.sampleStats(), 1000);
  }

  start(): void {
    if (this.options.transport === 'hls') this.startHls('HLS was asked for');
    else void this.connectRtc();
  }

  close(): void {
    this.closed = true;
    this.generation++;
    for (const t of this.timers) clearTimeout(t);
    clearInterval(this.statsTimer);
    this.teardownRtc();
    this.hls?.destroy();
    this.hls = undefined;
  }

  /** Drops the WebRTC connection as a network failure would (the test of
   * the reconnection uses it; also the "Reconnect" button). */
  dropForTest(): void {
    this.signalling?.ws.close();
  }

  private setState(state: ConnState, detail: string): void {
    this.state = state;
    this.events.state(state, detail);
  }

  private later(seconds: number, f: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      f();
    }, seconds * 1000);
    this.timers.add(t);
  }

  private teardownRtc(): void {
    const s = this.signalling, r = this.rtc;
    this.signalling = undefined;
    this.rtc = undefined;
    this.sampler = undefined;
    if (s) {
      s.onClose = undefined;
      s.onError = undefined;
    }
    try {
      r?.close();
    } catch {
      // already closed
    }
    try {
      s?.close();
    } catch {
      // already closed
    }
  }

  private async connectRtc(): Promise<void> {
    const gen = ++this.generation;
    this.teardownRtc();
    const timeout = (this.options.connectTimeout ?? 12) * 1000;
    try {
      const client = new SignallingClient(this.api.signallingUrl(this.info.id));
      this.signalling = client;
      client.onClose = () => gen === this.generation && void this.lost('the signalling connection closed');
      // The welcome, fresh TURN credentials (they expire) and the producer
      // list in parallel: each is a round trip, and none needs another.
      const [, ice, producers] = await Promise.all([
        withTimeout(client.ready(), timeout, 'no answer from the signalling server'),
        withTimeout(this.api.iceServers(), timeout, 'vdid did not list its ICE servers'),
        withTimeout(client.listProducers(), timeout, 'no answer from the signalling server'),
      ]);
      if (!producers.length) throw new Error('the session has no stream');
      this.iceError = '';
      const session = await withTimeout(
        client.startSession(producers[0].id, {
          rtcConfig: { iceServers: ice.iceServers, iceTransportPolicy: this.options.iceTransportPolicy ?? 'all' },
          onPeerConnection: (pc) => pc.addEventListener('icecandidateerror', (e) => this.noteIceError(e)),
          microphone: true, // sound.ts Microphone sends it when the user asks
          onEnded: () => gen === this.generation && void this.lost('the session ended the stream'),
        }),
        timeout,
        'the session did not start streaming',
      );
      if (gen !== this.generation) return session.close();
      this.rtc = session;
      this.sampler = new StatsSampler(session.pc);
      this.video.srcObject = session.stream;
      void this.video.play().catch(() => undefined);
      session.pc.addEventListener('connectionstatechange', () => {
        if (gen !== this.generation) return;
        const st = session.pc.connectionState;
        if (st === 'failed') void this.lost('the WebRTC connection failed');
        else if (st === 'disconnected')
          this.later(3, () => gen === this.generation && session.pc.connectionState === 'disconnected' && void this.lost('the WebRTC connection was lost'));
      });
      void session.channel.then((ch) => gen === this.generation && this.events.channel(new InputChannel(ch)));
      // No picture within the timeout: treat as a failed connection.
      const framesBefore = this.framesPresented;
      this.later(timeout / 1000, () => {
        if (gen === this.generation && this.framesPresented === framesBefore) void this.lost('no video arrived');
      });
    } catch (e) {
      if (gen === this.generation) void this.lost(e instanceof Error ? e.message : String(e));
    }
  }

  /** A STUN/TURN server that answered with an error (wrong or expired TURN
   * credentials: 401): kept to explain a connection that then fails. */
  private noteIceError(e: Event): void {
    const ev = e as RTCPeerConnectionIceErrorEvent;
    if (!ev.url || ev.errorCode < 300 || ev.errorCode > 699) return; // 7xx: no answer at all
    const what = ev.errorCode === 401 ? 'refused the TURN credentials' : 'answered with an error';
    this.iceError = `${ev.url} ${what} (${ev.errorCode} ${ev.errorText})`;
  }

  private async lost(why: string): Promise<void> {
    if (this.closed) return;
    if (this.iceError) why = `${why}: ${this.iceError}`;
    const gen = ++this.generation;
    this.teardownRtc();
    if (this.state === 'playing') this.everPlayed = true;
    // Ended or failed? Then there is nothing to reconnect to.
    try {
      this.info = await this.api.session(this.info.id);
      if (this.info.state === 'failed') {
        this.closed = true;
        return this.setState('failed', this.info.reason ?? 'the session failed');
      }
      if (this.info.state === 'lost') {
        this.closed = true;
        return this.setState('lost', this.info.reason ?? 'its node stopped answering');
      }
    } catch (e) {
      // 410 from a front door: the node of the session is gone (a share link).
      if (e instanceof ApiError && e.status === 410) {
        this.closed = true;
        return this.setState('lost', e.message);
      }
      if (e instanceof ApiError && (e.status === 404 || e.status === 401 || e.status === 403)) {
        this.closed = true;
        return this.setState('ended', e.status === 404 ? 'The session has ended.' : e.message);
      }
      // vdid itself is unreachable: keep trying.
    }
    if (gen !== this.generation) return;
    // WebRTC never worked: HLS, view-only, if the session offers it.
    if (!this.everPlayed && this.attempt >= 1 && this.options.transport !== 'webrtc-only') {
      return this.startHls(why);
    }
    const delay = BACKOFF_S[Math.min(this.attempt, BACKOFF_S.length - 1)] * (0.8 + 0.4 * Math.random());
    this.attempt++;
    this.setState('reconnecting', `${why}; retrying in ${delay.toFixed(1)} s`);
    this.later(delay, () => {
      if (gen !== this.generation) return;
      this.reconnects++;
      void this.connectRtc();
    });
  }

  /** Called once frames flow again: the next drop starts the backoff anew. */
  resetBackoff(): void {
    this.attempt = 0;
    this.everPlayed = true;
  }

  private startHls(why: string): void {
    this.teardownRtc();
    this.generation++;
    const url = this.api.hlsUrl(this.info);
    this.setState('hls', `WebRTC could not connect (${why}): playing HLS, view only`);
    this.video.srcObject = null;
    if (Hls.isSupported()) {
      const token = this.api.token;
      const hls = new Hls({
        lowLatencyMode: true,
        liveSyncDurationCount: 2,
        xhrSetup: (xhr) => {
          xhr.withCredentials = true;
          if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
        },
      });
      this.hls = hls;
      hls.on(Hls.Events.ERROR, (_e, data) => {
        if (!data.fatal) return;
        if (data.type === Hls.ErrorTypes.NETWORK_ERROR) this.later(2, () => hls.startLoad());
        else if (data.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
      });
      hls.loadSource(url);
      hls.attachMedia(this.video);
    } else if (this.video.canPlayType('application/vnd.apple.mpegurl')) {
      this.video.src = url; // Safari plays HLS itself
    } else {
      this.closed = true;
      return this.setState('failed', `WebRTC could not connect (${why}) and this browser cannot play HLS`);
    }
    void this.video.play().catch(() => undefined);
  }

  private async sampleStats(): Promise<void> {
    if (!this.sampler) return;
    try {
      const s = await this.sampler.sample();
      this.lastStats = s;
      if (s.fps > 0 && this.state === 'playing') this.resetBackoff();
      this.events.stats(s);
    } catch {
      // the peer connection closed meanwhile
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(message)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
