// A real OpenID Provider (npm oidc-provider 9) for the gateway's integration tests.
//
//   node provider.mjs '<config JSON>'      (or the config in the environment: OIDC_OP_CONFIG)
//
// It listens on 127.0.0.1 at a free port and prints one line of JSON on stdout once it
// serves: {"issuer": "http://127.0.0.1:PORT"}. It stops by itself when its standard input
// closes (the test that started it is gone) or after `lifetime_seconds`.
//
// Config (every key but `clients` and `users` optional):
// {
//   "clients": [ oidc-provider client metadata: client_id, client_secret or jwks/jwks_uri,
//                redirect_uris, token_endpoint_auth_method, id_token_signed_response_alg, ... ],
//   "users": [ { "id": "alice",                      // the account id, which is also `sub`
//                "national_id": "...",               // value of the national-ID claim
//                "acr": "http://eidas.europa.eu/LoA/substantial",
//                "claims": { "name": "..." },        // more claims of the `openid` scope
//                "id_token_claims": { "nonce": "x" },// claims forced into the issued ID token
//                                                    // (re-signed with the OP's key; null deletes)
//                "tamper_signature": false } ],      // break the ID token's signature
//   "national_id_claim": "pid",
//   "lifetime_seconds": 600
// }
//
// Interaction (login) step: with a `login_hint` naming a user (by id or national ID) the user
// is logged in at once, so tests need no browser; an unknown hint ends the flow with
// `access_denied`. Without a hint a plain HTML form lists the users as buttons (for browser
// tests). Consent is granted automatically for what the client asked.

import http from 'node:http';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';
import { exportJWK, generateKeyPair, importJWK, CompactSign, decodeProtectedHeader } from 'jose';

// stdout carries the one announcement line; the provider's own notices go to stderr.
for (const level of ['log', 'info', 'warn', 'debug']) console[level] = console.error;

const config = JSON.parse(process.argv[2] ?? process.env.OIDC_OP_CONFIG ?? '{}');
const claimName = config.national_id_claim ?? 'pid';
const users = config.users ?? [];
const clients = (config.clients ?? []).map((client) => ({
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: client.client_secret ? 'client_secret_basic' : 'private_key_jwt',
  ...client,
}));
const EIDAS = ['low', 'substantial', 'high'].map((level) => `http://eidas.europa.eu/LoA/${level}`);
const acrValues = [...new Set([...EIDAS, ...users.map((u) => u.acr).filter(Boolean)])];

function findUser(hint) {
  return users.find((u) => u.id === hint || u.national_id === hint);
}

// Signing keys: generated per run, kept here too so that forced claims can be re-signed.
const signingKeys = {};
for (const alg of ['RS256', 'ES256']) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), alg, use: 'sig', kid: `${alg.toLowerCase()}-1` };
  signingKeys[jwk.kid] = jwk;
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

function loginPage(uid, clientId) {
  const buttons = users.map((u) => `<li><button type="submit" name="user" value="${escapeHtml(u.id)}">`
    + `${escapeHtml(u.claims?.name ?? u.id)}</button></li>`).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test eID login</title></head>
<body><h1>Test eID: log in to ${escapeHtml(clientId)}</h1>
<form method="post" action="/interaction/${escapeHtml(uid)}/login"><ul>
${buttons}
</ul></form>
<form method="post" action="/interaction/${escapeHtml(uid)}/abort"><button type="submit">Cancel</button></form>
</body></html>`;
}

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: Object.values(signingKeys) },
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  acrValues,
  scopes: ['openid', 'offline_access', 'profile'],
  claims: { openid: ['sub', 'acr', 'auth_time', claimName, 'name', 'given_name', 'family_name', 'birthdate'] },
  // The national-ID claim belongs in the ID token, as national eIDs put it there.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(_ctx, id) {
    const user = users.find((u) => u.id === id);
    if (!user) return undefined;
    return {
      accountId: id,
      async claims() {
        return { ...(user.claims ?? {}), sub: id, [claimName]: user.national_id };
      },
    };
  },
});

// Forced ID-token claims and broken signatures, for the tests of what a relying party refuses.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.oidc?.route !== 'token' || typeof ctx.body?.id_token !== 'string') return;
  const [head, payloadPart, signature] = ctx.body.id_token.split('.');
  const payload = JSON.parse(Buffer.from(payloadPart, 'base64url').toString());
  const user = users.find((u) => u.id === payload.sub);
  if (!user) return;
  let token = ctx.body.id_token;
  if (user.id_token_claims) {
    for (const [name, value] of Object.entries(user.id_token_claims)) {
      if (value === null) delete payload[name]; else payload[name] = value;
    }
    const header = decodeProtectedHeader(token);
    const key = await importJWK(signingKeys[header.kid], header.alg);
    token = await new CompactSign(Buffer.from(JSON.stringify(payload)))
      .setProtectedHeader(header).sign(key);
  }
  if (user.tamper_signature) {
    const [h, p, s] = token.split('.');
    const middle = Math.floor(s.length / 2);
    const flipped = s[middle] === 'A' ? 'B' : 'A';
    token = `${h}.${p}.${s.slice(0, middle)}${flipped}${s.slice(middle + 1)}`;
  }
  ctx.body = { ...ctx.body, id_token: token };
  void head; void signature;
});

async function finishLogin(req, res, user) {
  const result = user
    ? { login: { accountId: user.id, acr: user.acr, amr: ['pwd'] } }
    : { error: 'access_denied', error_description: 'no such test user' };
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  const { prompt, params, session } = details;
  if (prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }
  if (action === 'abort') {
    await provider.interactionFinished(req, res,
      { error: 'access_denied', error_description: 'the user cancelled' }, { mergeWithLastSubmission: false });
  } else if (action === 'login' && req.method === 'POST') {
    await finishLogin(req, res, findUser((await readForm(req)).get('user') ?? ''));
  } else if (params.login_hint) {
    await finishLogin(req, res, findUser(params.login_hint));
  } else {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(loginPage(uid, params.client_id));
  }
}

const callback = provider.callback();
server.on('request', (req, res) => {
  const match = /^\/interaction\/([^/?]+)(?:\/(login|abort))?(?:\?.*)?$/.exec(req.url);
  if (!match) {
    callback(req, res);
    return;
  }
  interaction(req, res, match[1], match[2]).catch((error) => {
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`interaction failed: ${error.message}`);
  });
});

process.stdout.write(`${JSON.stringify({ issuer })}\n`);

// Stop by itself: when the parent goes away, or at the latest after the lifetime.
const stop = () => process.exit(0);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
setTimeout(stop, (config.lifetime_seconds ?? 600) * 1000).unref();
