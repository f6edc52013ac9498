#!/usr/bin/env node
// Cross-checks the citygate uplink envelope against sm-crypto, an SM3/SM4
// implementation that shares no code with OpenSSL, and its SenML CBOR packs
// against the npm package cbor, which shares no code with libcbor.
//
//   node envelope_check.js PATH_TO_citygate-envelope-vector
//
// 1. citygate seals the same readings as a SenML JSON and a SenML CBOR pack
//    with a fresh key file and fresh IVs. This script checks the framing,
//    verifies the HMAC-SM3 tags and decrypts with sm-crypto only. It then
//    resolves each SenML pack and compares it with the readings citygate
//    sealed.
// 2. This script seals its own JSON and CBOR packs with sm-crypto under the
//    same key, and `citygate-envelope-vector open` (crypto::open and
//    senml::decode_json or senml::decode_cbor) must return the same
//    records. A copy with one flipped byte must be rejected.
//
// Exits 0 when every check passes and 1 with a message otherwise.

'use strict';

const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

let sm3;
let sm4;
let cbor;
try {
  ({ sm3, sm4 } = require('sm-crypto'));
  cbor = require('cbor');
} catch (error) {
  console.error(`envelope_check: cannot load sm-crypto or cbor (${error.code || error.message}). ` +
    `Run "npm ci" in ${__dirname} or scripts/setup.sh.`);
  process.exit(1);
}

// Envelope layout of uplink contract v1 (all integers big-endian).
const HEADER_SIZE = 42;
const TAG_SIZE = 32;
const BLOCK_SIZE = 16;
const IV_OFFSET = 26;
const MIN_SIZE = HEADER_SIZE + BLOCK_SIZE + TAG_SIZE;
const CONTENT_JSON = 1;
const CONTENT_CBOR = 2;

// SenML CBOR map labels (RFC 8428 section 6) and their JSON names.
const CBOR_LABELS = new Map([[-1, 'bver'], [-2, 'bn'], [-3, 'bt'], [-4, 'bu'], [-5, 'bv'], [-6, 'bs'], [0, 'n'],
  [1, 'u'], [2, 'v'], [3, 'vs'], [4, 'vb'], [5, 's'], [6, 't'], [7, 'ut'], [8, 'vd']]);
const CBOR_LABEL_OF = new Map([...CBOR_LABELS].map(([label, name]) => [name, label]));

// Reads the fields this check needs from the key file that citygate
// generates, so a format change shows up as a clear failure here.
function readKeyFile(file) {
  const text = fs.readFileSync(file, 'utf8');
  const current = /^current\s*=\s*(\d+)\s*$/m.exec(text);
  const id = /^id\s*=\s*(\d+)\s*$/m.exec(text);
  const encKey = /^enc_key\s*=\s*"([0-9a-fA-F]{32})"\s*$/m.exec(text);
  const macKey = /^mac_key\s*=\s*"([0-9a-fA-F]{64})"\s*$/m.exec(text);
  assert.ok(current, `${file} has no "current = <id>" line`);
  assert.ok(id, `${file} has no "id = <id>" line`);
  assert.ok(encKey, `${file} has no enc_key of 32 hex digits`);
  assert.ok(macKey, `${file} has no mac_key of 64 hex digits`);
  assert.equal(current[1], id[1], 'the key file\'s current id names its only key');
  return { id: Number(id[1]), encKey: encKey[1].toLowerCase(), macKey: macKey[1].toLowerCase() };
}

function hmacSm3(macKeyHex, bytes) {
  return sm3(Array.from(bytes), { key: macKeyHex, mode: 'hmac' });
}

// Strips PKCS#7 padding: 1 to 16 bytes, each equal to the padding length.
function unpad(bytes) {
  const count = bytes[bytes.length - 1];
  assert.ok(count >= 1, `invalid PKCS#7 padding length ${count}`);
  assert.ok(count <= BLOCK_SIZE, `invalid PKCS#7 padding length ${count}`);
  for (let i = bytes.length - count; i < bytes.length; i++)
    assert.equal(bytes[i], count, 'invalid PKCS#7 padding byte');
  return bytes.slice(0, bytes.length - count);
}

// Verifies and decrypts an envelope with sm-crypto. Returns the header
// fields and the plaintext bytes.
function openEnvelope(key, envelope) {
  assert.ok(envelope.length >= MIN_SIZE, `envelope is ${envelope.length} bytes, below ${MIN_SIZE}`);
  assert.equal(envelope.toString('latin1', 0, 2), 'CG', 'magic');
  assert.equal(envelope[2], 1, 'version');
  assert.equal(envelope[3], 1, 'suite');
  assert.ok(envelope[4] === CONTENT_JSON || envelope[4] === CONTENT_CBOR, `content type ${envelope[4]}`);
  assert.equal(envelope[5] & ~1, 0, 'unknown flag bits');
  const ciphertextSize = envelope.length - HEADER_SIZE - TAG_SIZE;
  assert.equal(ciphertextSize % BLOCK_SIZE, 0, 'ciphertext length is a multiple of 16');

  const keyId = envelope.readUInt32BE(6);
  assert.equal(keyId, key.id, 'key id');
  const tagOffset = envelope.length - TAG_SIZE;
  const expectedTag = hmacSm3(key.macKey, envelope.subarray(0, tagOffset));
  assert.equal(envelope.subarray(tagOffset).toString('hex'), expectedTag, 'HMAC-SM3 tag');

  const iv = envelope.subarray(IV_OFFSET, HEADER_SIZE).toString('hex');
  const ciphertext = Array.from(envelope.subarray(HEADER_SIZE, tagOffset));
  const padded = sm4.decrypt(ciphertext, key.encKey, { mode: 'cbc', iv, padding: 'none', output: 'array' });
  return {
    keyId,
    contentType: envelope[4],
    flags: envelope[5],
    sequence: envelope.readBigUInt64BE(10),
    sealedAtMs: envelope.readBigInt64BE(18),
    plaintext: Buffer.from(unpad(padded)),
  };
}

function sealEnvelope(key, { contentType, flags, sequence, sealedAtMs }, plaintext) {
  const header = Buffer.alloc(HEADER_SIZE);
  header.write('CG', 0, 'latin1');
  header[2] = 1;
  header[3] = 1;
  header[4] = contentType;
  header[5] = flags;
  header.writeUInt32BE(key.id, 6);
  header.writeBigUInt64BE(sequence, 10);
  header.writeBigInt64BE(sealedAtMs, 18);
  randomBytes(BLOCK_SIZE).copy(header, IV_OFFSET);

  const iv = header.subarray(IV_OFFSET).toString('hex');
  const ciphertext = sm4.encrypt(Array.from(plaintext), key.encKey,
    { mode: 'cbc', iv, padding: 'pkcs#7', output: 'array' });
  const body = Buffer.concat([header, Buffer.from(ciphertext)]);
  return Buffer.concat([body, Buffer.from(hmacSm3(key.macKey, body), 'hex')]);
}

// Parses a SenML pack into records keyed by the JSON labels. A CBOR pack
// must use the registry's integer labels for every field it has.
function parsePack(contentType, plaintext) {
  if (contentType === CONTENT_JSON)
    return JSON.parse(plaintext.toString('utf8'));
  const pack = cbor.decodeFirstSync(plaintext, { preferMap: true });
  assert.ok(Array.isArray(pack), 'the CBOR pack is an array');
  return pack.map((record) => {
    assert.ok(record instanceof Map, 'each CBOR record is a map');
    const fields = {};
    for (const [label, value] of record) {
      assert.ok(CBOR_LABELS.has(label), `CBOR record has the unexpected label ${label}`);
      fields[CBOR_LABELS.get(label)] = value;
    }
    return fields;
  });
}

// Encodes records keyed by the JSON labels as a SenML CBOR pack.
function encodeCborPack(pack) {
  return cbor.encodeOne(pack.map((record) =>
    new Map(Object.entries(record).map(([name, value]) => [CBOR_LABEL_OF.get(name), value]))));
}

// Resolves a SenML pack (RFC 8428: bn + n, bt + t, u or bu) into records
// shaped like expected.json.
function resolveSenml(pack) {
  let baseName = '';
  let baseTime = 0;
  let baseUnit = '';
  return pack.map((record) => {
    if ('bn' in record) baseName = record.bn;
    if ('bt' in record) baseTime = record.bt;
    if ('bu' in record) baseUnit = record.bu;
    const value = ['v', 'vb', 'vs'].filter((field) => field in record);
    assert.equal(value.length, 1, `record ${JSON.stringify(record)} has exactly one value`);
    return {
      n: baseName + (record.n || ''),
      u: record.u !== undefined ? record.u : baseUnit,
      t_ms: Math.round((baseTime + (record.t || 0)) * 1000),
      value: record[value[0]],
    };
  });
}

function checkCitygateSeals(tool, dir) {
  execFileSync(tool, ['seal', dir], { stdio: ['ignore', 'inherit', 'inherit'] });
  const key = readKeyFile(path.join(dir, 'keys.toml'));
  const expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'));

  for (const [file, contentType] of [['envelope.bin', CONTENT_JSON], ['envelope_cbor.bin', CONTENT_CBOR]]) {
    const opened = openEnvelope(key, fs.readFileSync(path.join(dir, file)));
    assert.equal(opened.contentType, contentType, `content type of ${file}`);
    assert.equal(opened.keyId, expected.key_id);
    assert.equal(opened.flags, expected.flags);
    assert.equal(opened.sequence, BigInt(expected.sequence));
    assert.equal(opened.sealedAtMs, BigInt(expected.sealed_at_ms));
    const pack = parsePack(contentType, opened.plaintext);
    assert.deepEqual(resolveSenml(pack), expected.records, `records of ${file}`);
    console.log(`citygate -> sm-crypto: ${file} opened, ${opened.plaintext.length} bytes, ${pack.length} records match`);
  }
  return key;
}

function checkSmCryptoSeals(tool, dir, key) {
  const sealedAtMs = BigInt(Date.now());
  const records = [
    { n: 'urn:citygate:changle-gw-01:wm-0002:volume', u: 'm3', t_ms: 1700000123456, value: 42.125 },
    { n: 'urn:citygate:changle-gw-01:wm-0002:valve_open', u: '', t_ms: 1700000123456, value: false },
    { n: 'urn:citygate:changle-gw-01:wm-0002:note', u: '', t_ms: 1700000124000, value: '长乐 "north" \\ gate' },
  ];
  const pack = [
    { bn: 'urn:citygate:changle-gw-01:wm-0002:', bt: 1700000123.456, n: 'volume', u: 'm3', v: 42.125 },
    { n: 'valve_open', vb: false },
    { t: 0.544, n: 'note', vs: records[2].value },
  ];
  const plaintexts = [[CONTENT_JSON, Buffer.from(JSON.stringify(pack))], [CONTENT_CBOR, encodeCborPack(pack)]];
  const envelopePath = path.join(dir, 'smcrypto.bin');
  let envelope;
  for (const [contentType, plaintext] of plaintexts) {
    envelope = sealEnvelope(key, { contentType, flags: 1, sequence: 77n, sealedAtMs }, plaintext);
    fs.writeFileSync(envelopePath, envelope);

    const output = execFileSync(tool, ['open', path.join(dir, 'keys.toml'), envelopePath], { encoding: 'utf8' });
    const opened = JSON.parse(output);
    assert.equal(opened.key_id, key.id);
    assert.equal(opened.flags, 1);
    assert.equal(opened.sequence, 77);
    assert.equal(BigInt(opened.sealed_at_ms), sealedAtMs);
    assert.deepEqual(opened.records.map((r) => ({ n: r.n, u: r.u, t_ms: Math.round(r.t * 1000), value: r.value })),
      records, `records of the content type ${contentType} pack`);
    console.log(`sm-crypto -> citygate: content type ${contentType} opened, ${envelope.length} bytes, ` +
      `${records.length} records match`);
  }

  // One flipped ciphertext bit must fail the tag check in crypto::open.
  envelope[HEADER_SIZE] ^= 0x01;
  fs.writeFileSync(envelopePath, envelope);
  const tampered = spawnSync(tool, ['open', path.join(dir, 'keys.toml'), envelopePath],
    { encoding: 'utf8' });
  assert.notEqual(tampered.status, 0, 'a tampered envelope was accepted');
  assert.match(tampered.stderr, /tag does not match/);
  console.log('sm-crypto -> citygate: tampered envelope rejected');
}

function main() {
  const tool = process.argv[2];
  if (!tool || !fs.existsSync(tool)) {
    console.error('usage: node envelope_check.js PATH_TO_citygate-envelope-vector');
    process.exit(1);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citygate-envelope-'));
  try {
    const key = checkCitygateSeals(tool, dir);
    checkSmCryptoSeals(tool, dir, key);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

try {
  main();
} catch (error) {
  console.error(`envelope_check: FAILED: ${error.message}`);
  process.exit(1);
}
