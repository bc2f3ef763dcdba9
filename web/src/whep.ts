// A WHEP (RFC 9725) viewer: POST the offer, apply the answer, DELETE to end.

import { lowLatency } from './signalling';

export interface WhepSession {
  pc: RTCPeerConnection;
  stream: MediaStream;
  resource: string;
  close(): Promise<void>;
}

export interface WhepOptions {
  /** Ask for Opus audio too (the producer sends it if it has an audio pad). */
  audio?: boolean;
}

export async function whepConnect(
  endpoint: string,
  rtcConfig?: RTCConfiguration,
  options: WhepOptions = {},
): Promise<WhepSession> {
  const pc = new RTCPeerConnection(rtcConfig);
  const stream = new MediaStream();
  pc.ontrack = (ev) => {
    lowLatency(ev.receiver);
    stream.addTrack(ev.track);
  };
  pc.addTransceiver('video', { direction: 'recvonly' });
  if (options.audio) pc.addTransceiver('audio', { direction: 'recvonly' });
  await pc.setLocalDescription(await pc.createOffer());
  // Wait for the candidates (loopback: instant), so that no PATCH is needed.
  await new Promise<void>((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    const t = setTimeout(resolve, 2000);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') {
        clearTimeout(t);
        resolve();
      }
    });
  });
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/sdp' },
    body: pc.localDescription!.sdp,
  });
  if (res.status !== 201) {
    pc.close();
    throw new Error(`WHEP POST: ${res.status} ${await res.text()}`);
  }
  const resource = new URL(res.headers.get('Location') ?? '', endpoint).toString();
  await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  return {
    pc,
    stream,
    resource,
    close: async () => {
      pc.close();
      await fetch(resource, { method: 'DELETE' }).catch(() => undefined);
    },
  };
}
