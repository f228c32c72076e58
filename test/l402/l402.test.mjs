// Independent implementations check godex's L402: npm `bolt11` decodes the invoice of a 402 and recovers the
// simulated LND node's key from its signature; npm `macaroon` verifies godex's macaroon under godex's root key,
// and a macaroon minted by npm `macaroon` is accepted by godex. Loopback only; every request has a timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import crypto from 'node:crypto';
import bolt11 from 'bolt11';
import * as macaroon from 'macaroon';

const godex = process.env.GODEX_URL;
const lnd = new URL(process.env.LND_URL);
const ca = fs.readFileSync(process.env.LND_CERT);
const lndMacaroon = fs.readFileSync(process.env.LND_MACAROON).toString('hex');
const rootKeys = () => JSON.parse(fs.readFileSync(process.env.MACAROON_KEYS, 'utf8')).keys;

function lndCall(method, path, body) {
  return new Promise((resolve, reject) => {
    const request = https.request({ host: lnd.hostname, port: lnd.port, path, method, ca, timeout: 10000,
      headers: { 'Grpc-Metadata-macaroon': lndMacaroon, 'content-type': 'application/json' } }, (response) => {
      let text = '';
      response.on('data', (chunk) => { text += chunk; });
      response.on('end', () => resolve({ status: response.statusCode, json: JSON.parse(text) }));
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
    request.end(body ? JSON.stringify(body) : undefined);
  });
}

async function chat(authorization, model = 'gpt-5.2-codex') {
  const headers = { 'content-type': 'application/json' };
  if (authorization) headers.authorization = authorization;
  return fetch(`${godex}/v1/chat/completions`, { method: 'POST', headers, signal: AbortSignal.timeout(20000),
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Say hello' }] }) });
}

async function challenge() {
  const response = await chat();
  assert.equal(response.status, 402);
  const header = response.headers.get('www-authenticate');
  const match = /L402 macaroon="([^"]+)", invoice="([^"]+)"/.exec(header);
  assert.ok(match, `L402 challenge expected, got ${header}`);
  assert.match(header, /LSAT macaroon="/);
  return { macaroon: match[1], invoice: match[2] };
}

async function pay(invoice) {
  const paid = await lndCall('POST', '/v1/channels/transactions', { payment_request: invoice });
  assert.equal(paid.json.payment_error, '');
  return Buffer.from(paid.json.payment_preimage, 'base64');
}

test('the 402 invoice decodes with bolt11 and is signed by the LND node', async () => {
  const { invoice } = await challenge();
  const decoded = bolt11.decode(invoice);
  const info = await lndCall('GET', '/v1/getinfo');
  assert.equal(decoded.payeeNodeKey, info.json.identity_pubkey);
  assert.equal(decoded.network.bech32, 'bcrt');
  const pricing = await (await fetch(`${godex}/v1/pricing`)).json();
  assert.equal(decoded.satoshis, pricing.invoice_sat);
  assert.equal(decoded.tagsObject.payment_hash.length, 64);
  assert.ok(decoded.tagsObject.payment_secret);
  assert.equal(decoded.tagsObject.description, 'godex API credit');
  assert.ok(decoded.timeExpireDate > decoded.timestamp);
});

test("godex's macaroon verifies with npm macaroon under godex's root key", async () => {
  const { macaroon: encoded, invoice } = await challenge();
  const m = macaroon.importMacaroon(encoded);
  const seen = [];
  const key = rootKeys().filter((k) => !k.retired_at).at(-1);
  m.verify(Buffer.from(key.root_key, 'hex'), (caveat) => { seen.push(caveat); return null; });
  assert.ok(seen.includes('services=godex:0'));
  assert.ok(seen.some((c) => c.startsWith('godex_valid_until=')));
  assert.ok(seen.some((c) => c.startsWith('godex_credit_msat=')));
  // The identifier binds the invoice: version 0, then its payment hash.
  const id = Buffer.from(m.identifier);
  assert.equal(id.length, 66);
  assert.equal(id.readUInt16BE(0), 0);
  assert.equal(id.subarray(2, 34).toString('hex'), bolt11.decode(invoice).tagsObject.payment_hash);
  assert.throws(() => m.verify(crypto.randomBytes(32), () => null));
});

test('paying the invoice buys an answer; a token minted by npm macaroon is accepted too', async () => {
  const first = await challenge();
  const preimage = await pay(first.invoice);
  const answer = await chat(`L402 ${first.macaroon}:${preimage.toString('hex')}`);
  assert.equal(answer.status, 200);
  assert.match((await answer.json()).choices[0].message.content, /Say hello/);

  // A second invoice, paid, with a macaroon minted independently over the same identifier layout and caveats.
  const second = await challenge();
  const secondPreimage = await pay(second.invoice);
  const key = Buffer.from(rootKeys().filter((k) => !k.retired_at).at(-1).root_key, 'hex');
  const paymentHash = crypto.createHash('sha256').update(secondPreimage).digest();
  // (npm macaroon 3.0.4's exportBinary never updates its buffer's capacity, so it blows up past ~200 bytes:
  // the refused token below carries fewer caveats to stay under that.)
  const mintForeign = (caveats) => {
    const identifier = Buffer.concat([Buffer.from([0, 0]), paymentHash, crypto.randomBytes(32)]);
    const foreign = macaroon.newMacaroon({ identifier, location: 'godex', rootKey: key, version: 2 });
    for (const caveat of caveats) {
      foreign.addFirstPartyCaveat(caveat);
    }
    return Buffer.from(foreign.exportBinary()).toString('base64');
  };
  const accepted = await chat(`L402 ${mintForeign(['services=godex:0', `godex_valid_until=${Math.floor(Date.now() / 1000) + 600}`, 'godex_credit_msat=500000'])}:${secondPreimage.toString('hex')}`);
  assert.equal(accepted.status, 200, await accepted.clone().text());

  // A token with a caveat godex does not know is refused, naming it.
  const refused = await chat(`L402 ${mintForeign(['services=godex:0', 'colour=blue'])}:${secondPreimage.toString('hex')}`);
  assert.equal(refused.status, 401);
  assert.match((await refused.json()).error.message, /colour=blue/);
});
