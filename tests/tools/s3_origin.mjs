#!/usr/bin/env -S node --openssl-legacy-provider
// A local S3 for gpunb's tests and benchmarks: s3rver 3.7.1 (package.json devDependencies) on
// 127.0.0.1, a fresh temp folder, one bucket filled with N objects written straight into s3rver's
// file-system layout (DIR/BUCKET/a/b._S3rver_object; it computes the MD5 ETags itself), which is
// far faster than N PUTs. Prints "READY <port>" once listening; stops on SIGTERM/SIGINT and
// removes the folder it made.
//
//   node tests/tools/s3_origin.mjs [--port P] [--bucket B] [--prefix data/] [--objects N]
//        [--total BYTES] [--size BYTES] [--dir DIR] [--keep]
// --size gives every object the same size; --total spreads BYTES over N objects in mixed sizes
// (a few large, many small: a data set's usual shape). Credentials: access key S3RVER, secret
// S3RVER (s3rver checks the key id, not SigV4 signatures). Anonymous requests are served too.
// s3rver encrypts continuation tokens with DES, which Node 17+ offers only with
// --openssl-legacy-provider: started without it, this script runs itself again with it.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const S3rver = require(path.join(root, 'node_modules/s3rver'));

function parseArgs(argv) {
  const args = { port: 0, bucket: 'gpunb-test', prefix: 'data/', objects: 0, total: 0, size: 1024,
                 dir: '', keep: false };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '');
    if (name === 'keep') { args.keep = true; continue; }
    if (!(name in args)) throw new Error(`unknown option ${argv[i]}`);
    const value = argv[++i];
    args[name] = typeof args[name] === 'number' ? Number(value) : value;
  }
  return args;
}

// Sizes in a mixed shape that add up to TOTAL: weights from a fixed pseudo-random sequence,
// squared so that a few objects are large and most are small.
function mixedSizes(count, total) {
  let seed = 12345;
  const weights = [];
  for (let i = 0; i < count; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const unit = seed / 2147483648;
    weights.push(unit * unit * unit + 0.001);
  }
  const sum = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map(w => Math.max(1, Math.floor((w / sum) * total)));
  sizes[0] += Math.max(0, total - sizes.reduce((a, b) => a + b, 0));
  return sizes;
}

function keyOf(prefix, index, count) {
  const width = String(Math.max(count - 1, 0)).length;
  const padded = String(index).padStart(width, '0');
  return `${prefix}part-${padded.slice(0, -2) || '0'}/file-${padded}.bin`;
}

function writeObjects(dir, args) {
  const sizes = args.total > 0 ? mixedSizes(args.objects, args.total)
                               : new Array(args.objects).fill(args.size);
  const pool = crypto.randomBytes(Math.min(Math.max(...sizes, 1), 64 << 20));
  sizes.forEach((size, index) => {
    const file = path.join(dir, args.bucket, keyOf(args.prefix, index, args.objects)) + '._S3rver_object';
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const fd = fs.openSync(file, 'w');
    const md5 = crypto.createHash('md5');
    const head = crypto.randomBytes(Math.min(16, size));  // every object differs, even with one pool
    fs.writeSync(fd, head);
    md5.update(head);
    for (let done = head.length; done < size;) {
      const n = Math.min(pool.length, size - done);
      const offset = (index * 7919 + done) % Math.max(pool.length - n, 1);
      fs.writeSync(fd, pool, offset, n);
      md5.update(pool.subarray(offset, offset + n));
      done += n;
    }
    fs.closeSync(fd);
    fs.writeFileSync(file + '.md5', md5.digest('hex'));
    fs.writeFileSync(file.replace(/_object$/, '_metadata.json'),
                     JSON.stringify({ 'content-type': 'application/octet-stream' }));
  });
}

function rerunWithLegacyProvider() {
  const child = spawn(process.execPath, ['--openssl-legacy-provider', ...process.execArgv,
                                         fileURLToPath(import.meta.url), ...process.argv.slice(2)],
                      { stdio: 'inherit' });
  for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => child.kill(signal));
  child.on('exit', code => process.exit(code ?? 1));
}

async function main() {
  if (!process.execArgv.includes('--openssl-legacy-provider')) return rerunWithLegacyProvider();
  const args = parseArgs(process.argv.slice(2));
  const made = !args.dir;
  const dir = args.dir || fs.mkdtempSync(path.join(os.tmpdir(), 'gpunb-s3rver-'));
  fs.mkdirSync(path.join(dir, args.bucket), { recursive: true });
  writeObjects(dir, args);
  const server = new S3rver({ address: '127.0.0.1', port: args.port, directory: dir, silent: !process.env.S3_ORIGIN_VERBOSE,
                              configureBuckets: [{ name: args.bucket }] });
  const { port } = await server.run();
  process.stdout.write(`READY ${port}\n`);
  const stop = async () => {
    setTimeout(() => process.exit(0), 2000).unref();  // keep-alive clients may hold close() up
    await server.close();
    if (made && !args.keep) fs.rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch(error => {
  process.stderr.write(`s3_origin: ${error.message}\n`);
  process.exit(1);
});
