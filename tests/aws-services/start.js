#!/usr/bin/env node
// Local AWS test services: kinesalite (Kinesis, in memory) and s3rver (S3, temp folder), both on
// 127.0.0.1 with ports chosen by the OS.
//
//   node --openssl-legacy-provider start.js
//
// Prints one JSON line on stdout once both listen:
//   {"s3":<port>,"s3Direct":<port>,"kinesis":<port>,"s3Dir":"<folder>","pid":<pid>}
// "s3" is a small front that decodes aws-chunked request bodies before s3rver sees them (AWSSDK.S3
// v4 sends PutObject/UploadPart bodies as aws-chunked with a checksum trailer, and s3rver would store
// the chunk framing as the object), and normalizes x-amz-copy-source encoding; "s3Direct" is
// s3rver itself (fine for reads).
// Exits when stdin closes (the test process died or is done) or on SIGINT/SIGTERM; removes the folder.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const { Transform, pipeline } = require('stream');

if (!process.execArgv.includes('--openssl-legacy-provider') &&
    !(process.env.NODE_OPTIONS || '').includes('--openssl-legacy-provider')) {
  // s3rver's ListObjectsV2 continuation tokens use DES, which OpenSSL 3 refuses without it.
  process.stderr.write('start.js: run node with --openssl-legacy-provider (ListObjectsV2 paging needs it)\n');
  process.exit(2);
}

const kinesalite = require('kinesalite');
const S3rver = require('s3rver');

const HOST = '127.0.0.1';
const log = (...args) => process.stderr.write(`aws-services: ${args.join(' ')}\n`);

/**
 * Decodes an aws-chunked body: `<hex-size>[;chunk-signature=...]\r\n<data>\r\n` ... `0[;...]\r\n`
 * followed by optional trailers (`x-amz-checksum-crc32:...\r\n`) and a final `\r\n`.
 */
class AwsChunkedDecoder extends Transform {
  constructor() {
    super();
    this.state = 'header';
    this.header = Buffer.alloc(0);
    this.remaining = 0;
    this.crlf = 0;
  }

  _transform(chunk, _encoding, callback) {
    let offset = 0;
    try {
      while (offset < chunk.length) {
        if (this.state === 'header') {
          const end = chunk.indexOf(0x0a, offset); // '\n'
          if (end < 0) {
            this.header = Buffer.concat([this.header, chunk.subarray(offset)]);
            if (this.header.length > 4096) throw new Error('aws-chunked: chunk header too long');
            offset = chunk.length;
            break;
          }
          const line = Buffer.concat([this.header, chunk.subarray(offset, end)]).toString('latin1').replace(/\r$/, '');
          this.header = Buffer.alloc(0);
          offset = end + 1;
          const size = parseInt(line.split(';')[0], 16);
          if (!Number.isFinite(size) || size < 0) throw new Error(`aws-chunked: bad chunk header "${line}"`);
          if (size === 0) {
            this.state = 'trailer';
          } else {
            this.remaining = size;
            this.state = 'data';
          }
        } else if (this.state === 'data') {
          const take = Math.min(this.remaining, chunk.length - offset);
          this.push(chunk.subarray(offset, offset + take));
          offset += take;
          this.remaining -= take;
          if (this.remaining === 0) {
            this.state = 'crlf';
            this.crlf = 0;
          }
        } else if (this.state === 'crlf') {
          const b = chunk[offset++];
          if (b === 0x0d && this.crlf === 0) continue;
          if (b !== 0x0a) throw new Error('aws-chunked: missing CRLF after chunk data');
          this.state = 'header';
        } else {
          offset = chunk.length; // trailers: ignored
        }
      }
      callback();
    } catch (err) {
      callback(err);
    }
  }

  _flush(callback) {
    callback(this.state === 'trailer' ? undefined : new Error(`aws-chunked: body ended in state ${this.state}`));
  }
}

function isAwsChunked(headers) {
  const encoding = String(headers['content-encoding'] || '').toLowerCase();
  const sha = String(headers['x-amz-content-sha256'] || '');
  return encoding.split(',').some(e => e.trim() === 'aws-chunked') || sha.startsWith('STREAMING-');
}

function s3Front(targetPort) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers };
    let body = req;
    if (headers['x-amz-copy-source']) {
      // AWSSDK.S3 v4 percent-encodes '/' in the copy source (%2F), which S3 accepts; s3rver only runs
      // decodeURI (which keeps %2F) and then splits on '/'. Normalize to the form s3rver understands.
      try {
        headers['x-amz-copy-source'] = encodeURI(decodeURIComponent(headers['x-amz-copy-source']));
      } catch { /* leave malformed values to s3rver */ }
    }
    if (isAwsChunked(headers)) {
      const encodings = String(headers['content-encoding'] || '')
        .split(',').map(e => e.trim()).filter(e => e && e.toLowerCase() !== 'aws-chunked');
      if (encodings.length) headers['content-encoding'] = encodings.join(','); else delete headers['content-encoding'];
      if (headers['x-amz-decoded-content-length'] !== undefined) {
        headers['content-length'] = headers['x-amz-decoded-content-length'];
        delete headers['transfer-encoding'];
      } else {
        delete headers['content-length'];
        headers['transfer-encoding'] = 'chunked';
      }
      delete headers['x-amz-decoded-content-length'];
      delete headers['x-amz-trailer'];
      headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      body = new AwsChunkedDecoder();
      pipeline(req, body, err => { if (err) { log('decode failed:', err.message); res.destroy(err); } });
    }
    const upstream = http.request(
      { host: HOST, port: targetPort, method: req.method, path: req.url, headers, agent },
      upRes => {
        res.writeHead(upRes.statusCode, upRes.statusMessage, upRes.headers);
        pipeline(upRes, res, () => {});
      });
    upstream.on('error', err => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`aws-services front: ${err.message}`);
      } else {
        res.destroy(err);
      }
    });
    pipeline(body, upstream, () => {});
  });
  server.keepAliveTimeout = 65000;
  server.headersTimeout = 66000;
  return server;
}

function listen(server, port) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => resolve(server.address().port));
  });
}

async function main() {
  const s3Dir = fs.mkdtempSync(path.join(os.tmpdir(), 's3rver-'));
  const cleanup = () => {
    try { fs.rmSync(s3Dir, { recursive: true, force: true }); } catch { /* best effort */ }
  };

  const kinesis = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 200 });
  kinesis.keepAliveTimeout = 65000;
  kinesis.headersTimeout = 66000;
  const kinesisPort = await listen(kinesis, 0);

  const s3rver = new S3rver({ address: HOST, port: 0, directory: s3Dir, silent: true });
  const s3Address = await s3rver.run();
  s3rver.httpServer.keepAliveTimeout = 65000;
  s3rver.httpServer.headersTimeout = 66000;
  const front = s3Front(s3Address.port);
  const frontPort = await listen(front, 0);

  let stopping = false;
  const stop = reason => {
    if (stopping) return;
    stopping = true;
    log('stopping:', reason);
    cleanup();
    process.exit(0);
  };
  process.stdin.on('end', () => stop('stdin closed'));
  process.stdin.on('close', () => stop('stdin closed'));
  process.stdin.on('error', () => stop('stdin error'));
  process.stdin.resume();
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('exit', cleanup);

  process.stdout.write(JSON.stringify({
    s3: frontPort, s3Direct: s3Address.port, kinesis: kinesisPort, s3Dir, pid: process.pid,
    instance: crypto.randomBytes(4).toString('hex'),
  }) + '\n');
}

main().catch(err => {
  log('failed to start:', err && err.stack || err);
  process.exit(1);
});
