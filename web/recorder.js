// Microphone capture: getUserMedia -> AudioWorklet (capture-worklet.js) ->
// Float32 blocks at the context's rate. No MediaRecorder, no
// ScriptProcessorNode. One stream and one AudioContext serve every
// recording of a session; `close()` releases the microphone.

export class MicrophoneError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind; // 'denied' | 'missing' | 'unsupported' | 'failed'
  }
}

export class Recorder {
  async open() {
    if (this.context) return;
    if (!navigator.mediaDevices?.getUserMedia || typeof AudioWorkletNode !== 'function') {
      throw new MicrophoneError('unsupported', 'This browser cannot record audio here (it needs getUserMedia and AudioWorklet).');
    }
    try {
      // Processing that changes the sound (noise suppression, gain control)
      // is off: the model was trained on unprocessed recordings.
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 },
      });
    } catch (e) {
      if (e.name === 'NotAllowedError' || e.name === 'SecurityError') {
        throw new MicrophoneError('denied', 'Microphone access was denied. Allow the microphone for this page in the browser settings, or upload recordings instead.');
      }
      if (e.name === 'NotFoundError' || e.name === 'OverconstrainedError') {
        throw new MicrophoneError('missing', 'No microphone was found. Connect one, or upload recordings instead.');
      }
      throw new MicrophoneError('failed', `The microphone could not be opened (${e.name}: ${e.message}).`);
    }
    let context = new AudioContext();
    // The core accepts 8-48 kHz; a context outside that range is reopened
    // at 48 kHz and the browser resamples.
    if (context.sampleRate > 48000 || context.sampleRate < 8000) {
      await context.close();
      context = new AudioContext({ sampleRate: 48000 });
    }
    this.context = context;
    await context.audioWorklet.addModule(new URL('capture-worklet.js', import.meta.url));
    this.source = context.createMediaStreamSource(this.stream);
  }

  get sampleRate() {
    return this.context?.sampleRate ?? 0;
  }

  // Records until `seconds` have been captured or stop() is called.
  // onLevel(peak in 0..1) is called per block for the level meter.
  // Resolves to a Float32Array of mono samples at this.sampleRate.
  async record(seconds, onLevel) {
    await this.context.resume();
    const node = new AudioWorkletNode(this.context, 'tinym2-capture', {
      numberOfInputs: 1, numberOfOutputs: 0, channelCountMode: 'explicit', channelCount: 1,
    });
    const limit = Math.round(seconds * this.context.sampleRate);
    const blocks = [];
    let total = 0;
    return new Promise((resolve) => {
      const finish = () => {
        if (this.stopNow === null) return;
        this.stopNow = null;
        node.port.onmessage = null;
        this.source.disconnect(node);
        const out = new Float32Array(Math.min(total, limit));
        let at = 0;
        for (const b of blocks) {
          const take = Math.min(b.length, out.length - at);
          out.set(b.subarray(0, take), at);
          at += take;
        }
        resolve(out);
      };
      this.stopNow = () => {
        node.port.postMessage('stop');
        // The flushed tail arrives as one more message; do not wait longer
        // than a render quantum or two for it.
        setTimeout(finish, 50);
      };
      node.port.onmessage = (e) => {
        blocks.push(e.data);
        total += e.data.length;
        let peak = 0;
        for (const v of e.data) peak = Math.max(peak, Math.abs(v));
        onLevel?.(peak);
        if (total >= limit) finish();
      };
      this.source.connect(node);
    });
  }

  stop() {
    this.stopNow?.();
  }

  async close() {
    this.stream?.getTracks().forEach((t) => t.stop());
    await this.context?.close();
    this.stream = this.context = this.source = null;
  }
}
