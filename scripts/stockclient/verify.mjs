// A stock resource server's token check, configured with the issuer URL alone: it fetches
// <issuer>/.well-known/openid-configuration, takes jwks_uri from it, and verifies the access
// token (read from stdin, so it never shows in a process list) with npm jose's remote key set,
// requiring the document's issuer and the given audience.
//
//   node verify.mjs <issuer-url> <audience> < token
//
// Prints one JSON line. Exit 0: verified; 1: the token was refused (the reason is printed);
// 2: the discovery document or the key set could not be used (the issuer is wrong, say).
import { createRemoteJWKSet, jwtVerify } from 'jose';

const [issuer, audience] = process.argv.slice(2);
if (!issuer || !audience) {
  console.error('usage: node verify.mjs <issuer-url> <audience> < token');
  process.exit(2);
}
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const token = Buffer.concat(chunks).toString('utf8').trim();

function done(code, result) {
  console.log(JSON.stringify(result));
  process.exit(code);
}

// OpenID Connect Discovery 1.0, section 4: a terminating "/" of the issuer is removed first
const discoveryUrl = issuer.replace(/\/$/, '') + '/.well-known/openid-configuration';
let document;
try {
  const response = await fetch(discoveryUrl);
  if (!response.ok) done(2, { ok: false, stage: 'discovery', status: response.status, url: discoveryUrl });
  document = await response.json();
} catch (e) {
  done(2, { ok: false, stage: 'discovery', error: String(e), url: discoveryUrl });
}
// section 4.3: the issuer in the document must be the one the client was configured with
if (document.issuer !== issuer) done(2, { ok: false, stage: 'discovery', error: 'issuer mismatch', issuer: document.issuer });
if (typeof document.jwks_uri !== 'string') done(2, { ok: false, stage: 'discovery', error: 'no jwks_uri' });

const keys = createRemoteJWKSet(new URL(document.jwks_uri));
try {
  const { payload, protectedHeader } = await jwtVerify(token, keys, {
    issuer: document.issuer,
    audience,
    algorithms: document.id_token_signing_alg_values_supported,
  });
  done(0, { ok: true, iss: payload.iss, sub: payload.sub, sid: payload.sid, alg: protectedHeader.alg, kid: protectedHeader.kid,
    jwks_uri: document.jwks_uri });
} catch (e) {
  done(e && e.code === 'ERR_JWKS_TIMEOUT' ? 2 : 1, { ok: false, stage: 'verify', code: e && e.code, error: String(e && e.message) });
}
