// The player page served by vdiwebrtcsink at "/": connects through the
// signalling WebSocket, shows the desktop, forwards input, shows stats.
// Query parameters: ?autoconnect=0 (tests drive it), ?stats=0.

import { attachInput, InputChannel, keysymName, toVideoCoords } from './input';
import { SignallingClient, Session } from './signalling';
import { formatStats, StatsSampler } from './stats';
import { whepConnect } from './whep';

export interface PlayerState {
  session?: Session;
  input?: InputChannel;
  connectStartedAt: number;
  firstFrameAt: number;
  framesPresented: number;
  errors: string[];
}

const params = new URLSearchParams(location.search);
const video = document.getElementById('video') as HTMLVideoElement | null;
const statsEl = document.getElementById('stats');
const statusEl = document.getElementById('status');

/** The signalling WebSocket: `/signalling` of the serving element, or the
 * path (or URL) given as `?signalling=`, e.g. vdid's
 * `/api/v1/sessions/ID/signalling?token=SHARE`. */
function signallingUrl(): string {
  const url = new URL(params.get('signalling') || '/signalling', location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

export const state: PlayerState = { connectStartedAt: 0, firstFrameAt: 0, framesPresented: 0, errors: [] };

function countFrames(v: HTMLVideoElement): void {
  const cb = () => {
    state.framesPresented++;
    if (!state.firstFrameAt) state.firstFrameAt = performance.now();
    v.requestVideoFrameCallback(cb);
  };
  v.requestVideoFrameCallback(cb);
}

/** Connects the page's video element to the producer. */
export async function connect(): Promise<PlayerState> {
  if (!video) throw new Error('no video element');
  state.connectStartedAt = performance.now();
  state.firstFrameAt = 0;
  state.framesPresented = 0;
  const client = new SignallingClient(signallingUrl());
  client.onError = (d) => state.errors.push(d);
  client.onClose = () => statusEl && (statusEl.textContent = 'disconnected');
  // The welcome and the producer list in parallel: each is a round trip.
  const [, producers] = await Promise.all([client.ready(), client.listProducers()]);
  if (!producers.length) throw new Error('no producer');
  const session = await client.startSession(producers[0].id, {
    onEnded: () => statusEl && (statusEl.textContent = 'session ended'),
  });
  state.session = session;
  video.srcObject = session.stream;
  countFrames(video);
  void video.play().catch(() => undefined);
  void session.channel.then((ch) => {
    state.input = new InputChannel(ch);
    attachInput(video, state.input);
    video.focus();
  });
  if (statusEl) statusEl.textContent = '';
  if (statsEl && params.get('stats') !== '0') {
    const sampler = new StatsSampler(session.pc);
    setInterval(async () => {
      statsEl.textContent = formatStats(await sampler.sample());
    }, 1000);
  }
  return state;
}

// Exposed for tests, benchmarks and the full web client.
(window as unknown as Record<string, unknown>).vdi = {
  connect, state, SignallingClient, InputChannel, whepConnect, StatsSampler, keysymName, toVideoCoords,
};

if (params.get('autoconnect') !== '0') {
  connect().catch((e) => {
    state.errors.push(String(e));
    if (statusEl) statusEl.textContent = `error: ${e}`;
  });
}
