// A minimal calldocker.v1 softphone for the browser test (docs/ws.md):
// one socket, messages handled strictly in arrival order, one
// RTCPeerConnection per call. The page's test driver reads window.phone.
"use strict";

class Phone {
  constructor(wsUrl, auth) {
    this.log = [];
    this.state = "connecting";
    this.callId = null;
    this.pc = null;
    this.pending = [];          // ICE candidates before the remote SDP
    this.seq = 0;
    this.chain = Promise.resolve();
    this.handlers = {};
    this.ws = new WebSocket(wsUrl, "calldocker.v1");
    this.ws.onopen = () => this.send(auth);
    this.ws.onclose = (e) => { this.state = "closed:" + e.code; };
    this.ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      this.log.push(m.type + (m.code ? ":" + m.code : ""));
      // Strictly in order: an ICE candidate must wait for the offer
      // before it that is still being applied.
      this.chain = this.chain.then(() => this.handle(m))
        .catch((err) => this.log.push("error:" + err));
    };
  }

  send(m) {
    m.id = m.id || String(++this.seq);
    this.ws.send(JSON.stringify(m));
  }

  on(type, fn) { this.handlers[type] = fn; }

  async handle(m) {
    if (m.type === "authenticated") this.state = "ready";
    if (m.type === "sdp.offer") return this.answer(m);
    if (m.type === "sdp.answer")
      return this.pc.setRemoteDescription({type: "answer", sdp: m.sdp})
        .then(() => this.flush());
    if (m.type === "ice.candidate") {
      if (!m.candidate) return;
      if (this.pc && this.pc.remoteDescription) return this.pc.addIceCandidate(m.candidate);
      this.pending.push(m.candidate);
      return;
    }
    const fn = this.handlers[m.type];
    if (fn) return fn(m);
  }

  async flush() {
    for (const c of this.pending.splice(0)) await this.pc.addIceCandidate(c);
  }

  peer() {
    if (this.pc) return this.pc;
    const pc = new RTCPeerConnection({iceServers: []});
    pc.onicecandidate = (e) => this.send({type: "ice.candidate",
      call_id: this.callId, candidate: e.candidate ? e.candidate.toJSON() : null});
    this.pc = pc;
    return pc;
  }

  async addMedia(constraints) {
    const s = await navigator.mediaDevices.getUserMedia(constraints);
    s.getTracks().forEach((t) => this.peer().addTrack(t, s));
  }

  // The offerer's side: media is the docs' list ("voice", "video").
  async offer(media) {
    const pc = this.peer();
    const o = await pc.createOffer();
    await pc.setLocalDescription(o);
    this.send({type: "sdp.offer", call_id: this.callId, sdp: o.sdp, media});
  }

  async answer(m) {
    this.callId = m.call_id;
    const pc = this.peer();
    await pc.setRemoteDescription({type: "offer", sdp: m.sdp});
    // Our microphone goes out on the audio line the offer brought.
    if (!pc.getSenders().some((s) => s.track)) await this.addMedia({audio: true});
    await this.flush();
    const a = await pc.createAnswer();
    await pc.setLocalDescription(a);
    this.send({type: "sdp.answer", call_id: this.callId, sdp: a.sdp, media: m.media});
  }

  // What the driver checks: connection state, audio bytes and video
  // frames received.
  async stats() {
    const r = {pc: this.pc ? this.pc.connectionState : "none",
      audio_bytes: 0, video_frames: 0, state: this.state, log: this.log};
    if (!this.pc) return r;
    (await this.pc.getStats()).forEach((s) => {
      if (s.type !== "inbound-rtp") return;
      if (s.kind === "audio") r.audio_bytes += s.bytesReceived || 0;
      if (s.kind === "video") r.video_frames += s.framesDecoded || 0;
    });
    return r;
  }
}

// Configuration comes in the URL's fragment as JSON.
const CONFIG = JSON.parse(decodeURIComponent(location.hash.slice(1) || "{}"));
