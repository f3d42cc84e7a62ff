// Browser tests of the account page (issue 14): Debian's headless Chromium driven by playwright-core,
// against the services scripts/browser-test.sh starts (which sets the LK_* variables below). Run with
// Node's built-in runner: node --test scripts/browser/account.test.mjs. The steps run in order and
// share the browser; a step after a failed one is skipped. Every page state is a screenshot in
// LK_SCREENSHOTS (NN-state.png), and a failure adds FAILED-<step>-<page>.png of each open page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run scripts/browser-test.sh`);
  return value;
};
const ORIGIN = env('LK_PAGE_URL');        // where the browser opens the page (localhost: WebAuthn refuses IP addresses)
const AUTH = env('LK_AUTH_URL');          // the auth service for the tests' own API calls
const USERS = env('LK_USER_URL');
const MAIL_API = env('LK_MAIL_API');
const SHOTS = env('LK_SCREENSHOTS');
const { chromium } = createRequire(join(env('LK_BROWSER_MODULES'), 'x.js'))('playwright-core');
const PAGE = `${ORIGIN}/account/`;
const ALLOWED_ORIGINS = new Set([new URL(ORIGIN).origin, new URL(AUTH).origin, new URL(USERS).origin]);
const EXPECTED_CSP = `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; `
  + `connect-src 'self' ${new URL(USERS).origin}; form-action 'none'; frame-ancestors 'none'; base-uri 'none'`;
const STEP_TIMEOUT = 60_000;
const run = randomBytes(3).toString('hex');

let browser;
const contexts = [];
const pages = [];                 // {name, page}
const requests = [];              // every URL any page asked for
const violations = [];            // CSP violations and "Refused to ..." console messages
const consoleLines = [];          // every console line (checked for secrets)
const tokens = new Set();         // access and refresh tokens seen in responses (must never show in the DOM or console)
const lastAccessToken = {};       // page name -> the access token its last sign-in or refresh got
let shot = 0;
let failed = false;

// ---------------------------------------------------------------- helpers

async function api(method, url, body, headers = {}) {
  const response = await fetch(url, {
    method,
    headers: { ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = text; }
  return { status: response.status, json, headers: response.headers };
}

async function register(name) {
  const user = { username: `${name}-${run}`, email: `${name}-${run}@example.com`, password: `first passphrase ${run} ${name}` };
  const answer = await api('POST', `${USERS}/users`, user);
  assert.equal(answer.status, 201, `registering ${user.username}: ${JSON.stringify(answer.json)}`);
  return { ...user, id: answer.json.id };
}

const apiLogin = (login, password) => api('POST', `${AUTH}/auth/login`, { login, password });
const bearer = (token) => ({ Authorization: `Bearer ${token}` });

/** An API session of the user (a password login), for checks of what the page did; ended by the caller. */
async function apiToken(user, password = user.password) {
  const answer = await apiLogin(user.username, password);
  assert.equal(answer.status, 200, `API login of ${user.username}: ${JSON.stringify(answer.json)}`);
  assert.ok(answer.json.accessToken, 'the API login gives a token pair (no second factor expected here)');
  return answer.json.accessToken;
}

async function apiLogout(token) {
  assert.equal((await api('POST', `${AUTH}/auth/logout`, {}, bearer(token))).status, 204);
}

async function newPage(name) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  contexts.push(context);
  context.setDefaultTimeout(10_000);
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  const page = await context.newPage();
  pages.push({ name, page });
  page.on('request', (request) => requests.push({ page: name, url: request.url() }));
  page.on('console', (message) => {
    const text = message.text();
    consoleLines.push(`${name}: ${text}`);
    if (/Refused to|CSP violation|Content Security Policy/i.test(text)) violations.push(`${name}: ${text}`);
  });
  page.on('pageerror', (error) => violations.push(`${name}: uncaught ${error.message}`));
  page.on('response', async (response) => {
    if (!/\/account\/session\/|\/auth\/login/.test(response.url())) return;
    try {
      const body = await response.json();
      if (body?.accessToken) {
        tokens.add(body.accessToken);
        lastAccessToken[name] = body.accessToken;
      }
      if (body?.refreshToken) tokens.add(body.refreshToken);
      if (body?.mfaToken) tokens.add(body.mfaToken);
    } catch { /* not JSON */ }
  });
  // a security key for this page: a CDP virtual authenticator (ctap2, internal, resident keys, user verification)
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { page, context, cdp, authenticatorId };
}

async function screenshot(page, state) {
  shot += 1;
  await page.screenshot({ path: join(SHOTS, `${String(shot).padStart(2, '0')}-${state}.png`), fullPage: true });
}

const byId = (page, testid) => page.getByTestId(testid);

async function expectText(page, testid, pattern) {
  const locator = byId(page, testid);
  await locator.waitFor({ state: 'visible' });
  const deadline = Date.now() + 10_000;
  let text = '';
  while (Date.now() < deadline) {
    text = (await locator.textContent()) ?? '';
    if (pattern instanceof RegExp ? pattern.test(text) : text.includes(pattern)) return text;
    await page.waitForTimeout(50);
  }
  assert.fail(`${testid} shows "${text}", expected ${pattern}`);
}

async function expectSignInForm(page) {
  await byId(page, 'signin-form').waitFor({ state: 'visible' });
  assert.equal(await byId(page, 'account').isVisible(), false, 'the account is hidden when signed out');
}

async function expectSignedIn(page, user) {
  await byId(page, 'account').waitFor({ state: 'visible' });
  await expectText(page, 'me-username', user.username);
  await expectText(page, 'me-email', user.email);
  await byId(page, 'session-current').waitFor({ state: 'visible' });
}

async function signInWithPassword(page, user, password = user.password) {
  await byId(page, 'signin-login').fill(user.username);
  await byId(page, 'signin-password').fill(password);
  await byId(page, 'signin-submit').click();
}

async function signOut(page) {
  await byId(page, 'signout').click();
  await expectSignInForm(page);
  await expectText(page, 'notice', 'You are signed out.');
}

/** The current session's row of the page's list, and what it says about how it was signed in. */
async function currentSessionAmr(page) {
  const row = page.locator('[data-testid="session-row"][data-current="true"]');
  return (await row.getByTestId('session-amr').textContent()).trim();
}

function totp(secret, at = Date.now()) {
  const time = new Date(at).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return execFileSync('oathtool', ['--totp', '-b', '-N', time, secret], { encoding: 'utf8' }).trim();
}
const totpStep = (at = Date.now()) => Math.floor(at / 30_000);

/** Waits (bounded, polling) for the newest mail to address with a link starting with prefix, and returns that link. */
async function mailLink(address, prefix, seen = 0) {
  const deadline = Date.now() + 30_000;
  const pattern = new RegExp(`${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[A-Za-z0-9_-]+`);
  while (Date.now() < deadline) {
    const response = await fetch(`${MAIL_API}/email`);
    assert.equal(response.status, 200, 'the mail API answers');
    const mine = (await response.json()).filter((m) => (m.to ?? []).some((t) => t.address.toLowerCase() === address));
    const found = mine.slice(seen).map((m) => `${m.text ?? ''} ${m.html ?? ''}`.replace(/&amp;/g, '&').match(pattern)).filter(Boolean);
    if (found.length > 0) return found.at(-1)[0];
    await new Promise((resolve) => { setTimeout(resolve, 200); });
  }
  return assert.fail(`no mail to ${address} with a link ${prefix}... within 30 s`);
}

async function mailCount(address) {
  const all = await (await fetch(`${MAIL_API}/email`)).json();
  return all.filter((m) => (m.to ?? []).some((t) => t.address.toLowerCase() === address)).length;
}

/** A step: skipped after an earlier failure; on its failure a screenshot of every open page. */
function step(name, body) {
  test(name, { timeout: STEP_TIMEOUT }, async (t) => {
    if (failed) {
      t.skip('an earlier step failed');
      return;
    }
    try {
      await body(t);
    } catch (error) {
      failed = true;
      const slug = name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40);
      for (const { name: pageName, page } of pages) {
        if (!page.isClosed()) {
          await page.screenshot({ path: join(SHOTS, `FAILED-${slug}-${pageName}.png`), fullPage: true }).catch(() => {});
        }
      }
      throw error;
    }
  });
}

// ---------------------------------------------------------------- the run

before(async () => {
  browser = await chromium.launch({
    executablePath: env('LK_CHROMIUM'),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  console.log(`# Chromium ${browser.version()}`);
});

after(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
});

const state = {};   // what the steps hand on to each other

step('the page: served with its CSP and headers, from the jar, nothing else needed', async () => {
  const answer = await fetch(`${AUTH}/account/`);
  assert.equal(answer.status, 200);
  assert.equal(answer.headers.get('content-security-policy'), EXPECTED_CSP);
  assert.equal(answer.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(answer.headers.get('x-frame-options'), 'DENY');
  assert.equal(answer.headers.get('referrer-policy'), 'no-referrer');
  const config = await (await fetch(`${AUTH}/account/config.json`)).json();
  assert.deepEqual(config, { userServiceUrl: new URL(USERS).origin });
});

step('a) sign in with a password: the sessions list shows this session', async () => {
  const user = await register('alice');
  state.alice = user;
  const { page } = await newPage('alice');
  state.alicePage = page;
  // opened at the auth service's IP address, the page moves to its home, where passkeys work
  await page.goto(`${AUTH}/account/`);
  assert.equal(page.url(), PAGE, 'the page opened at 127.0.0.1 moved to its home');
  // the verification link of the registration mail, opened in the page: the token is taken out of the address bar
  const verify = await mailLink(user.email, `${ORIGIN}/account/verify-email#token=`);
  await page.goto(verify);
  await expectText(page, 'notice', `${user.email} is verified`);
  assert.equal(page.url(), PAGE, 'the address is the page\'s own again: no token, and a reload verifies nothing');
  await expectSignInForm(page);
  await screenshot(page, 'verified-and-sign-in');

  await signInWithPassword(page, user, 'not the password');
  await expectText(page, 'signin-error', /./);
  await screenshot(page, 'sign-in-wrong-password');
  await signInWithPassword(page, user);
  await expectSignedIn(page, user);
  await expectText(page, 'me-verified', /^verified$/);
  assert.equal(await currentSessionAmr(page), 'password');
  assert.equal(await byId(page, 'session-row').count(), 1, 'one session: this one');
  await screenshot(page, 'signed-in');

  // the refresh token: only in the HttpOnly, Secure, SameSite=Strict cookie of /account/session
  const cookies = await page.context().cookies(PAGE.replace(/\/account\/$/, '/account/session/refresh'));
  const cookie = cookies.find((c) => c.name === 'latchkey_refresh');
  assert.ok(cookie, `the refresh cookie is set (cookies: ${cookies.map((c) => c.name)})`);
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.secure, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(cookie.path, '/account/session');
  assert.deepEqual(await page.evaluate(() => document.cookie), '', 'the page script sees no cookie');
  assert.deepEqual(await page.evaluate(() => [localStorage.length, sessionStorage.length]), [0, 0], 'nothing in web storage');

  // a reload keeps the person signed in (POST /account/session/refresh with the cookie)
  await page.reload();
  await expectSignedIn(page, user);
  assert.equal(await byId(page, 'notice').isVisible(), false, 'no message after a plain reload');
  assert.equal(await byId(page, 'session-row').count(), 1, 'the reload reused the session');

  // the API agrees: one session, from this browser, by password
  const token = await apiToken(user);
  const { json } = await api('GET', `${AUTH}/auth/sessions`, undefined, bearer(token));
  const browserSessions = json.items.filter((s) => !s.current);
  assert.equal(browserSessions.length, 1, JSON.stringify(json.items));
  assert.match(browserSessions[0].userAgent, /HeadlessChrome/);
  assert.deepEqual(browserSessions[0].amr, ['pwd']);
  await apiLogout(token);
});

step('b) TOTP: enrol through the page, then sign in with a recovery code and with a code', async () => {
  const { alice: user, alicePage: page } = state;
  await byId(page, 'totp-begin').click();
  await byId(page, 'totp-start-password').fill('wrong password');
  await byId(page, 'totp-start').click();
  await expectText(page, 'totp-error', /./);
  await byId(page, 'totp-start-password').fill(user.password);
  await byId(page, 'totp-start').click();
  await byId(page, 'totp-qr').locator('svg path').waitFor();
  const secret = (await byId(page, 'totp-secret').textContent()).replace(/\s+/g, '');
  assert.match(secret, /^[A-Z2-7]{16,}$/, 'the key is shown as base32 text');
  const box = await byId(page, 'totp-qr').locator('svg').boundingBox();
  assert.ok(box && box.width >= 150, 'the QR code is drawn');
  await screenshot(page, 'totp-qr-code');

  await byId(page, 'totp-confirm-code').fill('000000');
  await byId(page, 'totp-confirm').click();
  await expectText(page, 'totp-error', /./);
  const code = totp(secret);
  state.lastTotpStep = totpStep();
  await byId(page, 'totp-confirm-code').fill(code);
  await byId(page, 'totp-confirm').click();
  await byId(page, 'recovery').waitFor({ state: 'visible' });
  const codes = await byId(page, 'recovery-code').allTextContents();
  assert.equal(codes.length, 10, 'ten recovery codes');
  await expectText(page, 'totp-status', /^On/);
  assert.equal(await byId(page, 'totp-secret').textContent(), '', 'the key is gone from the page');
  await screenshot(page, 'totp-recovery-codes');
  await byId(page, 'recovery-saved').click();
  assert.equal(await byId(page, 'recovery').isVisible(), false);
  assert.equal(await byId(page, 'recovery-code').count(), 0, 'the codes are gone from the page for good');

  // the API agrees: a password login now asks for the second step
  const first = await apiLogin(user.username, user.password);
  assert.equal(first.status, 200);
  assert.equal(first.json.mfaRequired, true);

  await signOut(page);
  // password, then a recovery code (after a wrong code)
  await signInWithPassword(page, user);
  await byId(page, 'mfa-form').waitFor({ state: 'visible' });
  await screenshot(page, 'mfa-step');
  await byId(page, 'mfa-code').fill('123456');
  await byId(page, 'mfa-submit').click();
  await expectText(page, 'mfa-error', /./);
  await screenshot(page, 'mfa-wrong-code');
  await byId(page, 'mfa-recovery-toggle').click();
  await byId(page, 'mfa-recovery').fill(codes[0]);
  await screenshot(page, 'mfa-recovery-code');
  await byId(page, 'mfa-submit').click();
  await expectSignedIn(page, user);
  assert.equal(await currentSessionAmr(page), 'password + authenticator');
  await signOut(page);

  // password, then a TOTP code of a step later than the one that confirmed the enrolment (a used step is refused)
  await signInWithPassword(page, user);
  await byId(page, 'mfa-form').waitFor({ state: 'visible' });
  while (totpStep() <= state.lastTotpStep) await page.waitForTimeout(250);
  await byId(page, 'mfa-code').fill(totp(secret));
  await byId(page, 'mfa-submit').click();
  await expectSignedIn(page, user);
  assert.equal(await currentSessionAmr(page), 'password + authenticator');
  await screenshot(page, 'signed-in-with-totp');
});

step('c) passkey: add, rename, sign out, sign in with the passkey alone', async () => {
  const user = await register('bob');
  state.bob = user;
  const { page, cdp, authenticatorId } = await newPage('bob');
  state.bobPage = page;
  await page.goto(PAGE);
  await signInWithPassword(page, user);
  await expectSignedIn(page, user);
  await byId(page, 'passkeys-empty').waitFor({ state: 'visible' });

  await byId(page, 'passkey-add').click();
  await expectText(page, 'passkeys-error', /name/i);
  await byId(page, 'passkey-add-name').fill('test laptop');
  await byId(page, 'passkey-add').click();
  await expectText(page, 'passkeys-message', 'test laptop');
  await expectText(page, 'passkey-name', 'test laptop');
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.equal(credentials.length, 1, 'the virtual authenticator holds one credential');
  assert.equal(credentials[0].isResidentCredential, true, 'a discoverable credential');
  await screenshot(page, 'passkey-added');

  await byId(page, 'passkey-rename').click();
  await byId(page, 'passkey-rename-input').fill('renamed key');
  await screenshot(page, 'passkey-rename');
  await byId(page, 'passkey-rename-save').click();
  await expectText(page, 'passkey-name', 'renamed key');
  const token = await apiToken(user);
  const listed = await api('GET', `${USERS}/users/${user.id}/passkeys`, undefined, bearer(token));
  assert.deepEqual(listed.json.items.map((p) => p.name), ['renamed key']);

  await signOut(page);
  assert.equal(await byId(page, 'signin-login').inputValue(), '', 'no username typed');
  await byId(page, 'passkey-signin').click();
  await expectSignedIn(page, user);
  assert.equal(await currentSessionAmr(page), 'passkey');
  await screenshot(page, 'signed-in-with-passkey');

  const sessions = await api('GET', `${AUTH}/auth/sessions`, undefined, bearer(token));
  const passkeySessions = sessions.json.items.filter((s) => s.amr?.includes('hwk'));
  assert.equal(passkeySessions.length, 1, JSON.stringify(sessions.json.items));
  const afterLogin = await api('GET', `${USERS}/users/${user.id}/passkeys`, undefined, bearer(token));
  assert.ok(afterLogin.json.items[0].lastUsedAt, 'the passkey shows its last use');
  await apiLogout(token);
});

step('d) another session, ended from the first browser, is refused in the second', async () => {
  const { bob: user, bobPage: first } = state;
  const { page: second } = await newPage('bob-second');
  await second.goto(PAGE);
  await signInWithPassword(second, user);
  await expectSignedIn(second, user);
  const secondToken = lastAccessToken['bob-second'];
  assert.ok(secondToken, 'the second browser got an access token');

  await byId(first, 'sessions-reload').click();
  await first.locator('[data-testid="session-row"]').nth(1).waitFor();
  assert.equal(await byId(first, 'session-row').count(), 2);
  await screenshot(first, 'two-sessions');
  await byId(first, 'session-end').click();
  await first.locator('[data-testid="session-row"]').nth(1).waitFor({ state: 'detached' });
  assert.equal(await byId(first, 'session-row').count(), 1);
  const checked = await api('POST', `${AUTH}/auth/validate-token`, { token: secondToken },
    { 'X-API-Key': 'dev-internal-key-change-me' });
  assert.equal(checked.json.valid, false, `the second browser's token is refused: ${JSON.stringify(checked.json)}`);

  // the second browser's next call fails (401, then its refresh fails too): back to the sign-in form
  await byId(second, 'sessions-reload').click();
  await expectSignInForm(second);
  await expectText(second, 'notice', 'Your session has ended');
  await screenshot(second, 'second-browser-refused');
  await second.reload();
  await expectSignInForm(second);
});

step('e) change the password, reset it through the mail link; remove the passkey', async () => {
  const { bob: user, bobPage: page } = state;
  await byId(page, 'password-current').fill('not my password');
  await byId(page, 'password-new').fill(`second passphrase ${run}`);
  await byId(page, 'password-repeat').fill(`second passphrase ${run}`);
  await byId(page, 'password-submit').click();
  await expectText(page, 'password-error', /./);
  await byId(page, 'password-current').fill(user.password);
  await byId(page, 'password-new').fill('password');
  await byId(page, 'password-repeat').fill('password');
  await byId(page, 'password-submit').click();
  await expectText(page, 'password-error', /./);
  await screenshot(page, 'password-weak');
  const changed = `second passphrase ${run}`;
  await byId(page, 'password-new').fill(changed);
  await byId(page, 'password-repeat').fill(changed);
  await byId(page, 'password-submit').click();
  await byId(page, 'password-done').waitFor({ state: 'visible' });
  await screenshot(page, 'password-changed');
  assert.equal((await apiLogin(user.username, user.password)).status, 401, 'the old password is refused');
  assert.equal((await apiLogin(user.username, changed)).status, 200, 'the new password works');
  await byId(page, 'sessions-reload').click();
  await expectSignedIn(page, user);   // this session stayed

  await signOut(page);
  const seen = await mailCount(user.email);
  await byId(page, 'forgot-link').click();
  await byId(page, 'forgot-email').fill(user.email);
  await byId(page, 'forgot-submit').click();
  await expectText(page, 'forgot-done', 'If the address belongs to an account, a mail is on its way');
  await screenshot(page, 'forgot-password-sent');
  const link = await mailLink(user.email, `${ORIGIN}/account/reset-password#token=`, seen);
  await page.goto(link);
  await byId(page, 'reset-form').waitFor({ state: 'visible' });
  assert.equal(page.url(), PAGE, 'the token left the address bar');
  await byId(page, 'reset-password').fill('a new one');
  await byId(page, 'reset-repeat').fill('another one');
  await byId(page, 'reset-submit').click();
  await expectText(page, 'reset-error', 'differ');
  await screenshot(page, 'reset-password-form');
  const reset = `third passphrase ${run}`;
  await byId(page, 'reset-password').fill(reset);
  await byId(page, 'reset-repeat').fill(reset);
  await byId(page, 'reset-submit').click();
  await expectSignInForm(page);
  await expectText(page, 'notice', 'new password is set');
  await screenshot(page, 'reset-done');
  await signInWithPassword(page, user, reset);
  await expectSignedIn(page, user);
  assert.equal((await apiLogin(user.username, changed)).status, 401, 'the changed password no longer works');

  // last, the passkey goes, after a confirmation step
  await byId(page, 'passkey-remove').click();
  await expectText(page, 'passkey-remove-question', 'renamed key');
  await screenshot(page, 'passkey-remove-confirm');
  await byId(page, 'passkey-remove-confirm').click();
  await byId(page, 'passkeys-empty').waitFor({ state: 'visible' });
  assert.equal(await byId(page, 'passkey-row').count(), 0);
  const token = await apiToken(user, reset);
  const listed = await api('GET', `${USERS}/users/${user.id}/passkeys`, undefined, bearer(token));
  assert.deepEqual(listed.json.items, [], 'the passkey is gone at the user service');
  await apiLogout(token);
});

step('f) nothing but the two services was asked for, no CSP violation, no token in the page or console', async () => {
  // the listener works: a page that breaks its CSP on purpose is caught (and not counted below)
  const probeViolations = violations.length;
  const { page: probe } = await newPage('csp-probe');
  await probe.goto(PAGE);
  await probe.evaluate(() => fetch('http://192.0.2.1/blocked').catch(() => {}));
  const deadline = Date.now() + 5_000;
  while (violations.length === probeViolations && Date.now() < deadline) await probe.waitForTimeout(50);
  const caught = violations.splice(probeViolations);
  assert.ok(caught.some((v) => v.startsWith('csp-probe:')), 'a deliberate violation is reported');
  requests.splice(0, requests.length, ...requests.filter((r) => r.page !== 'csp-probe'));

  const outside = requests.filter((r) => !ALLOWED_ORIGINS.has(new URL(r.url).origin));
  assert.deepEqual(outside, [], 'every request went to the auth or the user service');
  assert.deepEqual(violations, [], 'no CSP violation');
  assert.ok(requests.length > 50, `the run made requests (${requests.length})`);
  assert.ok(tokens.size > 0, 'tokens were seen in responses');
  for (const { name, page } of pages) {
    if (page.isClosed()) continue;
    const html = await page.content();
    for (const token of tokens) {
      assert.ok(!html.includes(token), `no token in the DOM of ${name}`);
      assert.ok(!page.url().includes(token), `no token in the address of ${name}`);
    }
  }
  for (const token of tokens) assert.ok(!consoleLines.some((l) => l.includes(token)), 'no token in the console');
});
