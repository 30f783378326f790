// RecordIO as the Mesos HTTP APIs stream it: "<decimal length>\n<bytes>"
// repeated. RecordReader takes the body's chunks as they arrive, split
// anywhere, and returns the complete records decoded as UTF-8.

const NEWLINE = 10;
// MAX_RECORD bounds one record (the SUBSCRIBED snapshot of a big cluster
// is the largest); a length above it means the stream is not RecordIO.
const MAX_RECORD = 512 * 1024 * 1024;

export class RecordReader {
  constructor() {
    this.buf = new Uint8Array(0);
    this.pending = []; // chunks not yet joined to buf
    this.pendingLen = 0;
    this.need = 0; // bytes buf must hold before the next record is whole
    this.decoder = new TextDecoder();
  }

  // push adds a chunk and returns the records it completes. It throws on
  // a malformed length prefix.
  push(chunk) {
    this.pending.push(chunk);
    this.pendingLen += chunk.length;
    // A large record arrives in many chunks: join them once, not per chunk.
    if (this.buf.length + this.pendingLen < this.need) return [];
    this.buf = join([this.buf, ...this.pending], this.buf.length + this.pendingLen);
    this.pending = [];
    this.pendingLen = 0;
    this.need = 0;
    const out = [];
    let pos = 0;
    for (;;) {
      const nl = this.buf.indexOf(NEWLINE, pos);
      if (nl < 0) {
        if (this.buf.length - pos > 20) throw new Error('RecordIO: length prefix too long');
        break;
      }
      const digits = this.decoder.decode(this.buf.subarray(pos, nl));
      if (!/^[0-9]{1,12}$/.test(digits)) throw new Error(`RecordIO: bad length prefix ${JSON.stringify(digits.slice(0, 20))}`);
      const n = Number(digits);
      if (n > MAX_RECORD) throw new Error(`RecordIO: record of ${n} bytes is too large`);
      if (this.buf.length < nl + 1 + n) {
        this.need = nl + 1 + n - pos;
        break;
      }
      out.push(this.decoder.decode(this.buf.subarray(nl + 1, nl + 1 + n)));
      pos = nl + 1 + n;
    }
    this.buf = this.buf.slice(pos);
    return out;
  }
}

function join(parts, total) {
  const nonEmpty = parts.filter((p) => p.length > 0);
  if (nonEmpty.length === 1) return nonEmpty[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of nonEmpty) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
