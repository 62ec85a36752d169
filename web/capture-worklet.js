// AudioWorklet processor: hands the microphone's samples to the page in
// blocks, mixed to mono, at the AudioContext's rate (the core resamples).
// Blocks of 2048 frames keep messages to ~20 per second; the buffer is
// transferred, not copied. A 'stop' message flushes what is left.
class CaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.block = new Float32Array(2048);
    this.used = 0;
    this.port.onmessage = (e) => {
      if (e.data === 'stop') this.flush();
    };
  }

  flush() {
    if (this.used > 0) {
      const out = this.block.slice(0, this.used);
      this.port.postMessage(out, [out.buffer]);
      this.used = 0;
    }
  }

  process(inputs) {
    const input = inputs[0];
    if (!input || input.length === 0) return true;
    const n = input[0].length;
    const channels = input.length;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let c = 0; c < channels; c++) s += input[c][i];
      this.block[this.used++] = s / channels;
      if (this.used === this.block.length) {
        this.port.postMessage(this.block, [this.block.buffer]);
        this.block = new Float32Array(2048);
        this.used = 0;
      }
    }
    return true;
  }
}

registerProcessor('tinym2-capture', CaptureProcessor);
