// The account page of the auth service (GET /account/): sign in (password, TOTP or recovery code,
// passkey), sessions, password, two-step sign-in, passkeys, password reset and address verification.
// Plain JavaScript, an ES module, no framework, no build step. It runs under the page's CSP
// (script-src 'self', no eval, no inline script or style): the DOM is built with createElement
// and textContent, never innerHTML.
//
// Tokens: the access token lives only in the variable accessToken below; the refresh token only
// in the HttpOnly cookie of /account/session/*, which this script cannot read. Neither goes into
// the URL, the DOM, storage or the console. A token that arrives in a mail link (#token=...) is
// taken out of the address bar at once and kept in a variable until it is used.
//
// The auth service is reached same-origin (relative URLs, so the page also works under a path
// prefix); the user service cross-origin at config.json's userServiceUrl, with CORS and without
// cookies (credentials: 'omit').

const page = new URL('./', location.href);          // .../account/ (also from .../account/reset-password)
const sessionUrl = (name) => new URL(`session/${name}`, page).href;
const authUrl = (path) => new URL(`../${path}`, page).href;

let config = null;            // {userServiceUrl}
let accessToken = null;       // the bearer token: in memory only
let refreshTimer = 0;
let refreshing = null;        // the refresh in flight: never two at once
let user = null;              // GET /auth/me
let mfaToken = null;          // between the password and the second step of a sign-in
let resetToken = null;        // from a password-reset link
let totpAction = null;        // 'recovery' | 'disable': what the password form of an enabled TOTP is for

// ---------------------------------------------------------------- DOM helpers

const el = (testid) => {
  const found = document.querySelector(`[data-testid="${testid}"]`);
  if (!found) throw new Error(`no element ${testid}`);
  return found;
};

function make(tag, { text, cls, testid, attrs } = {}, ...children) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (cls) node.className = cls;
  if (testid) node.dataset.testid = testid;
  for (const [name, value] of Object.entries(attrs ?? {})) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

const show = (node, visible = true) => { node.hidden = !visible; };

function formatTime(iso) {
  if (!iso) return 'never';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

// ---------------------------------------------------------------- messages

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `The service answered ${status}.`);
    this.status = status;
    this.code = problem?.code ?? null;
    this.errors = Array.isArray(problem?.errors) ? problem.errors : [];
  }
}

/** Thrown when the session is gone: the sign-in form is already shown, nothing more to say where the call was made. */
class SessionEnded extends Error {}

function describe(error) {
  if (error instanceof ApiError) return error.message;
  switch (error?.name) {
    case 'NotAllowedError': return 'The passkey request was cancelled or timed out.';
    case 'InvalidStateError': return 'This authenticator already holds a passkey for your account.';
    case 'SecurityError': return /^[\d.]+$|^\[/.test(location.hostname)
      ? `Browsers allow passkeys only on a domain name, not on an IP address such as ${location.hostname}: open this page at a name the service is configured for (for example localhost).`
      : 'This address may not use passkeys (the page must be opened at the address the service is configured for).';
    case 'NotSupportedError': return 'This browser or authenticator does not support the passkey requested.';
    default: return error?.message ? `Something went wrong: ${error.message}` : 'Something went wrong.';
  }
}

/** Shows an error as text: the problem's detail, then each field message. */
function showError(testid, error) {
  const node = el(testid);
  node.replaceChildren(describe(error));
  const fields = error instanceof ApiError ? error.errors : [];
  if (fields.length > 0) {
    node.append(make('ul', {}, ...fields.map((f) => make('li', { text: f.message || f.field }))));
  }
  show(node);
}

function clearMessage(testid) {
  const node = el(testid);
  node.replaceChildren();
  show(node, false);
}

function say(testid, text) {
  const node = el(testid);
  node.textContent = text;
  show(node);
}

const notice = (text) => say('notice', text);
const clearNotice = () => clearMessage('notice');

// ---------------------------------------------------------------- HTTP

async function send(url, { method = 'GET', body, token, crossOrigin = false } = {}) {
  const headers = { Accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: crossOrigin ? 'omit' : 'same-origin',
      cache: 'no-store',
      redirect: 'error',
    });
  } catch {
    throw new ApiError(0, { detail: 'The service could not be reached. Check the connection and try again.' });
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) throw new ApiError(response.status, data && typeof data === 'object' ? data : null);
  return data;
}

const sessionCall = (name, body = {}) => send(sessionUrl(name), { method: 'POST', body });

function userUrl(path) {
  if (!config?.userServiceUrl) throw new ApiError(0, { detail: 'The page could not load its settings (config.json); reload it.' });
  return config.userServiceUrl + path;
}

/** A bearer call; after a 401 the session is refreshed once and the call repeated, else the person is signed out. */
async function authed(url, options = {}) {
  const crossOrigin = !url.startsWith(location.origin);
  if (!accessToken && !(await refresh().catch(() => false))) throw sessionEnded();
  const used = accessToken;
  try {
    return await send(url, { ...options, token: used, crossOrigin });
  } catch (error) {
    if (error.status !== 401) throw error;
  }
  // a 401: unless another call has refreshed meanwhile, refresh now (once), then try again
  if (accessToken === used && !(await refresh().catch(() => false))) throw sessionEnded();
  if (!accessToken) throw sessionEnded();
  try {
    return await send(url, { ...options, token: accessToken, crossOrigin });
  } catch (error) {
    if (error.status === 401) {
      forget();
      throw sessionEnded();
    }
    throw error;
  }
}

const userCall = (method, path, body) => authed(userUrl(path), { method, body });

// ---------------------------------------------------------------- the session

function adopt(pair) {
  accessToken = pair.accessToken;
  clearTimeout(refreshTimer);
  const lifetime = Math.max(10, Number(pair.expiresIn) || 60) * 1000;
  // refresh a little before the token expires: a fifth of its life, at most a minute, early
  refreshTimer = setTimeout(scheduledRefresh, lifetime - Math.min(60_000, lifetime / 5));
}

function forget() {
  accessToken = null;
  clearTimeout(refreshTimer);
}

async function scheduledRefresh() {
  try {
    if (!(await refresh())) sessionEnded();
  } catch {
    refreshTimer = setTimeout(scheduledRefresh, 15_000);   // the service was unreachable: try again soon
  }
}

/** POST /account/session/refresh: true with a new access token, false when the session is gone; one at a time. */
function refresh() {
  if (!refreshing) {
    refreshing = (async () => {
      try {
        adopt(await sessionCall('refresh'));
        return true;
      } catch (error) {
        if (error.status === 401) {
          forget();
          return false;
        }
        throw error;
      }
    })().finally(() => { refreshing = null; });
  }
  return refreshing;
}

/** The session has ended (revoked elsewhere, expired): back to the sign-in form, saying so. */
function sessionEnded() {
  const wasSignedIn = user !== null;
  signedOut();
  if (wasSignedIn) notice('Your session has ended. Sign in again.');
  return new SessionEnded('signed out');
}

// ---------------------------------------------------------------- views

const VIEWS = ['signin', 'mfa', 'forgot', 'signup', 'reset', 'account'];

function view(name) {
  for (const each of VIEWS) show(el(each), each === name);
  show(el('loading'), false);
  const header = el('header-user');
  header.textContent = name === 'account' && user ? `Signed in as ${user.username}` : '';
  show(header, name === 'account');
  if (name !== 'account') {
    const first = el(name).querySelector('input:not([hidden])');
    if (first) first.focus();
  }
}

async function enter() {
  user = await authed(authUrl('auth/me'));
  renderMe();
  renderTotp();
  view('account');
  await Promise.all([loadSessions(), loadPasskeys()]);
}

function signedOut() {
  forget();
  user = null;
  mfaToken = null;
  // nothing of the account stays in the page
  el('sessions-list').replaceChildren();
  el('passkeys-list').replaceChildren();
  endTotpFlow();
  hideRecoveryCodes();
  for (const input of el('account').querySelectorAll('input')) input.value = '';
  el('signin-form').reset();   // nor who signed in last (a shared computer)
  for (const testid of ['me-message', 'me-error', 'sessions-error', 'password-error', 'password-done', 'totp-error',
    'totp-message', 'passkeys-error', 'passkeys-message']) clearMessage(testid);
  view('signin');
}

// ---------------------------------------------------------------- forms

/** Wires a form: submit never navigates (form-action 'none'); buttons are disabled while it runs; errors are shown. */
function onSubmit(formTestid, errorTestid, action) {
  const form = el(formTestid);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    await running(form, errorTestid, action);
  });
}

function onClick(testid, errorTestid, action) {
  const button = el(testid);
  button.addEventListener('click', () => running(button, errorTestid, action));
}

async function running(scope, errorTestid, action) {
  const buttons = scope.tagName === 'BUTTON' ? [scope] : [...scope.querySelectorAll('button')];
  buttons.forEach((b) => { b.disabled = true; });
  clearMessage(errorTestid);
  try {
    await action();
  } catch (error) {
    if (!(error instanceof SessionEnded)) showError(errorTestid, error);
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

const input = (testid) => el(testid).value;
const problem = (detail) => new ApiError(400, { detail });

function samePasswords(first, second) {
  if (!input(first)) throw problem('Type the new password.');
  if (input(first) !== input(second)) throw problem('The two new passwords differ.');
}

// ---------------------------------------------------------------- signing in

async function signIn() {
  const login = input('signin-login').trim();
  const password = input('signin-password');
  if (!login || !password) throw problem('Give your username or email and your password.');
  const answer = await sessionCall('login', { login, password });
  el('signin-password').value = '';
  if (answer.mfaRequired) {
    mfaToken = answer.mfaToken;
    useRecoveryCode(false);
    clearMessage('mfa-error');
    view('mfa');
    return;
  }
  clearNotice();
  adopt(answer);
  await enter();
}

function useRecoveryCode(on) {
  show(el('mfa').querySelector('#mfa-code-field'), !on);
  show(el('mfa').querySelector('#mfa-recovery-field'), on);
  el('mfa-recovery-toggle').textContent = on ? 'Use a code from the app instead' : 'Use a recovery code instead';
  el('mfa-code').value = '';
  el('mfa-recovery').value = '';
  el(on ? 'mfa-recovery' : 'mfa-code').focus();
}

async function secondStep() {
  const recovery = !el('mfa-recovery').closest('div').hidden;
  const value = input(recovery ? 'mfa-recovery' : 'mfa-code').trim();
  if (!value) throw problem(recovery ? 'Type one of your recovery codes.' : 'Type the code your app shows.');
  let answer;
  try {
    answer = await sessionCall('login/mfa', recovery ? { mfaToken, recoveryCode: value } : { mfaToken, code: value });
  } catch (error) {
    if (error.code === 'invalid_mfa_token') {   // expired, or too many wrong codes: the password step again
      mfaToken = null;
      view('signin');
      showError('signin-error', error);
      return;
    }
    throw error;
  }
  mfaToken = null;
  el('mfa-code').value = '';
  el('mfa-recovery').value = '';
  clearNotice();
  adopt(answer);
  await enter();
}

async function passkeySignIn() {
  if (!window.PublicKeyCredential || !navigator.credentials) throw new Error('this browser cannot use passkeys');
  const { challengeId, ...options } = await send(authUrl('auth/passkey/options'), { method: 'POST', body: {} });
  const credential = await navigator.credentials.get({ mediation: 'optional', publicKey: requestOptions(options) });
  if (!credential) throw new Error('no passkey was chosen');
  const answer = await sessionCall('passkey', { challengeId, credential: credentialJson(credential) });
  clearNotice();
  adopt(answer);
  await enter();
}

async function requestReset() {
  const email = input('forgot-email').trim();
  if (!email) throw problem('Give the email address of your account.');
  await send(userUrl('/users/password-reset'), { method: 'POST', body: { email }, crossOrigin: true });
  show(el('forgot-form'), false);
  show(el('forgot-done'));
}

async function signUp() {
  const username = input('signup-username').trim();
  const email = input('signup-email').trim();
  const password = input('signup-password');
  await send(userUrl('/users'), { method: 'POST', body: { username, email, password }, crossOrigin: true });
  el('signup-password').value = '';
  el('signin-login').value = username;
  view('signin');
  el('signin-password').focus();
  notice(`The account ${username} is created, and a mail to verify ${email} is on its way. Sign in now.`);
}

async function confirmReset() {
  samePasswords('reset-password', 'reset-repeat');
  if (!resetToken) throw problem('This link holds no reset token; ask for a new mail.');
  await send(userUrl('/users/password-reset/confirm'),
    { method: 'POST', body: { token: resetToken, newPassword: input('reset-password') }, crossOrigin: true });
  resetToken = null;
  el('reset-password').value = '';
  el('reset-repeat').value = '';
  view('signin');
  notice('Your new password is set, and every session of the account has ended. Sign in with the new password.');
}

async function verifyEmail(token) {
  try {
    const verified = await send(userUrl('/users/verify-email'), { method: 'POST', body: { token }, crossOrigin: true });
    notice(`Thank you: ${verified?.email ?? 'your address'} is verified.`);
  } catch (error) {
    notice(`The address could not be verified: ${describe(error)}`);
  }
}

// ---------------------------------------------------------------- you

function renderMe() {
  el('me-username').textContent = user.username;
  el('me-email').textContent = user.email;
  const badge = el('me-verified');
  badge.textContent = user.emailVerified ? 'verified' : 'not verified';
  badge.className = `badge ${user.emailVerified ? 'ok' : 'warn'}`;
  show(el('send-verification'), !user.emailVerified);
}

async function sendVerification() {
  clearMessage('me-message');
  await userCall('POST', `/users/${user.id}/verify-email/send`, {});
  say('me-message', `A verification mail is on its way to ${user.email}.`);
}

async function signOut() {
  await sessionCall('logout');
  signedOut();
  notice('You are signed out.');
}

// ---------------------------------------------------------------- sessions

function describeAgent(agent) {
  if (!agent) return 'unknown';
  const browser = [['Edg/', 'Edge'], ['OPR/', 'Opera'], ['HeadlessChrome/', 'Chrome (headless)'], ['Chrome/', 'Chrome'],
    ['Firefox/', 'Firefox'], ['Safari/', 'Safari'], ['curl/', 'curl']].find(([mark]) => agent.includes(mark));
  const system = [['Windows', 'Windows'], ['Android', 'Android'], ['iPhone', 'iOS'], ['iPad', 'iPadOS'],
    ['Mac OS X', 'macOS'], ['CrOS', 'ChromeOS'], ['Linux', 'Linux']].find(([mark]) => agent.includes(mark));
  if (!browser) return agent.length > 60 ? `${agent.slice(0, 60)}…` : agent;
  return system ? `${browser[1]} on ${system[1]}` : browser[1];
}

function describeAmr(amr) {
  const values = Array.isArray(amr) ? amr : [];
  if (values.includes('hwk')) return 'passkey';
  if (values.includes('otp')) return 'password + authenticator';
  return 'password';
}

async function loadSessions() {
  clearMessage('sessions-error');
  const { items } = await authed(authUrl('auth/sessions'));
  items.sort((a, b) => Number(b.current) - Number(a.current) || String(b.lastUsedAt).localeCompare(String(a.lastUsedAt)));
  el('sessions-list').replaceChildren(...items.map(sessionRow));
}

function sessionRow(session) {
  const row = make('tr', { testid: 'session-row', attrs: { 'data-session-id': session.id } },
    make('td', { cls: 'agent', text: describeAgent(session.userAgent), attrs: { title: session.userAgent ?? '' } }),
    make('td', { text: session.ip ?? '' }),
    make('td', { text: describeAmr(session.amr), testid: 'session-amr' }),
    make('td', { text: formatTime(session.createdAt) }),
    make('td', { text: formatTime(session.lastUsedAt) }));
  const action = make('td');
  if (session.current) {
    row.dataset.current = 'true';
    action.append(make('span', { cls: 'current', text: 'this session', testid: 'session-current' }));
  } else {
    const end = make('button', { text: 'End', cls: 'secondary small', testid: 'session-end', attrs: { type: 'button' } });
    end.setAttribute('aria-label', `End the session of ${describeAgent(session.userAgent)} from ${session.ip ?? 'an unknown address'}`);
    end.addEventListener('click', () => running(end, 'sessions-error', async () => {
      try {
        await authed(authUrl(`auth/sessions/${encodeURIComponent(session.id)}`), { method: 'DELETE' });
      } catch (error) {
        if (error.code !== 'session_not_found') throw error;   // ended meanwhile: the list below shows it
      }
      await loadSessions();
    }));
    action.append(end);
  }
  row.append(action);
  return row;
}

// ---------------------------------------------------------------- password

async function changePassword() {
  clearMessage('password-done');
  if (!input('password-current')) throw problem('Type your current password.');
  samePasswords('password-new', 'password-repeat');
  await userCall('POST', `/users/${user.id}/change-password`,
    { currentPassword: input('password-current'), newPassword: input('password-new') });
  for (const testid of ['password-current', 'password-new', 'password-repeat']) el(testid).value = '';
  say('password-done', 'Password changed. You stay signed in here; every other session has ended.');
  await loadSessions();
}

// ---------------------------------------------------------------- two-step sign-in (TOTP)

const totpOn = () => Array.isArray(user?.mfa) && user.mfa.includes('totp');

function renderTotp() {
  el('totp-status').textContent = totpOn()
    ? 'On: signing in with your password also asks for a code from your authenticator app.'
    : 'Off: signing in needs only your password.';
  endTotpFlow();
}

/** Back to the resting state of the section: no form open, no QR code or key on the page. */
function endTotpFlow() {
  const on = totpOn();
  show(document.getElementById('totp-off'), !on);
  show(document.getElementById('totp-on'), on);
  show(el('totp-begin'));
  for (const testid of ['totp-start-form', 'totp-confirm-form', 'totp-password-form']) {
    show(el(testid), false);
    el(testid).reset();
  }
  el('totp-qr').replaceChildren();
  el('totp-secret').textContent = '';
  totpAction = null;
}

function beginTotp() {
  clearMessage('totp-message');
  clearMessage('totp-error');
  show(el('totp-begin'), false);
  show(el('totp-start-form'));
  el('totp-start-password').focus();
}

async function startTotp() {
  const currentPassword = input('totp-start-password');
  if (!currentPassword) throw problem('Type your current password.');
  const { secret, otpauthUri } = await userCall('POST', `/users/${user.id}/mfa/totp`, { currentPassword });
  el('totp-start-form').reset();
  show(el('totp-start-form'), false);
  drawQr(el('totp-qr'), otpauthUri);
  el('totp-secret').textContent = secret.replace(/(.{4})(?=.)/g, '$1 ');   // groups of four, for people who type it
  show(el('totp-confirm-form'));
  el('totp-confirm-code').focus();
}

async function confirmTotp() {
  const code = input('totp-confirm-code').replace(/\s+/g, '');
  if (!code) throw problem('Type the code your app shows.');
  const { recoveryCodes } = await userCall('POST', `/users/${user.id}/mfa/totp/confirm`, { code });
  user.mfa = ['totp'];
  renderTotp();
  showRecoveryCodes(recoveryCodes);
  say('totp-message', 'Two-step sign-in is on.');
}

function askTotpPassword(action) {
  clearMessage('totp-message');
  clearMessage('totp-error');
  totpAction = action;
  el('totp-password-label').textContent = action === 'disable'
    ? 'Your current password, to turn two-step sign-in off'
    : 'Your current password, to make new recovery codes (the old ones stop working)';
  show(el('totp-password-form'));
  el('totp-password').focus();
}

async function submitTotpPassword() {
  const currentPassword = input('totp-password');
  if (!currentPassword) throw problem('Type your current password.');
  if (totpAction === 'disable') {
    await userCall('DELETE', `/users/${user.id}/mfa/totp`, { currentPassword });
    user.mfa = [];
    renderTotp();
    hideRecoveryCodes();
    say('totp-message', 'Two-step sign-in is off, and your other sessions have ended.');
    await loadSessions();
  } else {
    const { recoveryCodes } = await userCall('POST', `/users/${user.id}/mfa/recovery-codes`, { currentPassword });
    renderTotp();
    showRecoveryCodes(recoveryCodes);
    say('totp-message', 'New recovery codes are made; the old ones no longer work.');
  }
}

function showRecoveryCodes(codes) {
  el('recovery-codes').replaceChildren(...codes.map((code) => make('li', { text: code, testid: 'recovery-code' })));
  show(el('recovery'));
  el('recovery-saved').focus();
}

function hideRecoveryCodes() {
  el('recovery-codes').replaceChildren();   // gone from the page for good
  show(el('recovery'), false);
}

/** The QR code of text as an SVG drawn from qrcode-generator's modules (one path, a square per dark module). */
function drawQr(container, text) {
  const qr = window.qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const count = qr.getModuleCount();
  const quiet = 4;
  const size = count + 2 * quiet;
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'QR code of the key for your authenticator app');
  svg.setAttribute('shape-rendering', 'crispEdges');
  const background = document.createElementNS(ns, 'rect');
  background.setAttribute('width', String(size));
  background.setAttribute('height', String(size));
  background.setAttribute('fill', '#fff');
  const squares = [];
  for (let r = 0; r < count; r += 1) {
    for (let c = 0; c < count; c += 1) {
      if (qr.isDark(r, c)) squares.push(`M${c + quiet} ${r + quiet}h1v1h-1z`);
    }
  }
  const modules = document.createElementNS(ns, 'path');
  modules.setAttribute('d', squares.join(''));
  modules.setAttribute('fill', '#000');
  svg.append(background, modules);
  container.replaceChildren(svg);
}

// ---------------------------------------------------------------- passkeys

function fromBase64url(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

function toBase64url(buffer) {
  let binary = '';
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const descriptors = (list) => (list ?? []).map((d) => ({ ...d, id: fromBase64url(d.id) }));

/** The JSON form of creation options (base64url strings) as navigator.credentials.create takes them. */
function creationOptions(json) {
  return { ...json, challenge: fromBase64url(json.challenge), user: { ...json.user, id: fromBase64url(json.user.id) },
    excludeCredentials: descriptors(json.excludeCredentials) };
}

/** The JSON form of request options as navigator.credentials.get takes them (empty allowCredentials: discoverable). */
function requestOptions(json) {
  return { ...json, challenge: fromBase64url(json.challenge), allowCredentials: descriptors(json.allowCredentials) };
}

/** PublicKeyCredential.toJSON() where the browser has it; else the same shape built here. */
function credentialJson(credential) {
  if (typeof credential.toJSON === 'function') return credential.toJSON();
  const r = credential.response;
  const response = { clientDataJSON: toBase64url(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = toBase64url(r.attestationObject);
    response.transports = typeof r.getTransports === 'function' ? r.getTransports() : [];
  } else {
    response.authenticatorData = toBase64url(r.authenticatorData);
    response.signature = toBase64url(r.signature);
    response.userHandle = r.userHandle ? toBase64url(r.userHandle) : null;
  }
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    response,
    clientExtensionResults: typeof credential.getClientExtensionResults === 'function' ? credential.getClientExtensionResults() : {},
    authenticatorAttachment: credential.authenticatorAttachment ?? null,
  };
}

async function loadPasskeys() {
  clearMessage('passkeys-error');
  const { items } = await userCall('GET', `/users/${user.id}/passkeys`);
  el('passkeys-list').replaceChildren(...items.map(passkeyRow));
  show(el('passkeys-empty'), items.length === 0);
}

function passkeyRow(passkey) {
  const row = make('li', { testid: 'passkey-row', attrs: { 'data-passkey-id': passkey.id } });
  const rest = () => {
    const rename = make('button', { text: 'Rename', cls: 'secondary small', testid: 'passkey-rename', attrs: { type: 'button' } });
    const remove = make('button', { text: 'Remove', cls: 'danger small', testid: 'passkey-remove', attrs: { type: 'button' } });
    rename.setAttribute('aria-label', `Rename the passkey ${passkey.name}`);
    remove.setAttribute('aria-label', `Remove the passkey ${passkey.name}`);
    rename.addEventListener('click', renaming);
    remove.addEventListener('click', removing);
    row.replaceChildren(
      make('span', { cls: 'name', text: passkey.name, testid: 'passkey-name' }),
      make('span', { cls: 'meta', text: `added ${formatTime(passkey.createdAt)} · last used ${formatTime(passkey.lastUsedAt)}` }),
      rename, remove);
  };
  const renaming = () => {
    const field = make('input', { testid: 'passkey-rename-input', attrs: { maxlength: '64', 'aria-label': `New name of ${passkey.name}` } });
    field.value = passkey.name;
    const form = make('form', { testid: 'passkey-rename-form', attrs: { novalidate: '' } }, field,
      make('button', { text: 'Save', cls: 'small', testid: 'passkey-rename-save', attrs: { type: 'submit' } }),
      make('button', { text: 'Cancel', cls: 'link', testid: 'passkey-rename-cancel', attrs: { type: 'button' } }));
    form.querySelector('[data-testid="passkey-rename-cancel"]').addEventListener('click', rest);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      running(form, 'passkeys-error', async () => {
        const name = field.value.trim();
        if (!name) throw problem('Give the passkey a name.');
        await userCall('PATCH', `/users/${user.id}/passkeys/${encodeURIComponent(passkey.id)}`, { name });
        await loadPasskeys();
      });
    });
    row.replaceChildren(make('span', { cls: 'name', text: passkey.name, testid: 'passkey-name' }), form);
    field.focus();
  };
  const removing = () => {
    const confirm = make('button', { text: 'Remove', cls: 'danger small', testid: 'passkey-remove-confirm', attrs: { type: 'button' } });
    const keep = make('button', { text: 'Keep it', cls: 'link', testid: 'passkey-remove-cancel', attrs: { type: 'button' } });
    keep.addEventListener('click', rest);
    confirm.addEventListener('click', () => running(confirm, 'passkeys-error', async () => {
      await userCall('DELETE', `/users/${user.id}/passkeys/${encodeURIComponent(passkey.id)}`);
      say('passkeys-message', `The passkey ${passkey.name} is removed.`);
      await loadPasskeys();
    }));
    row.replaceChildren(
      make('span', { cls: 'name', text: `Remove ${passkey.name}? You can no longer sign in with it.`, testid: 'passkey-remove-question' }),
      confirm, keep);
    keep.focus();
  };
  rest();
  return row;
}

async function addPasskey() {
  clearMessage('passkeys-message');
  const name = input('passkey-add-name').trim();
  if (!name) throw problem('Give the new passkey a name, for example the device it lives on.');
  if (!window.PublicKeyCredential || !navigator.credentials) throw new Error('this browser cannot use passkeys');
  const options = await userCall('POST', `/users/${user.id}/passkeys/registration-options`, {});
  const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
  if (!credential) throw new Error('no passkey was made');
  const added = await userCall('POST', `/users/${user.id}/passkeys`, { name, credential: credentialJson(credential) });
  el('passkey-add-name').value = '';
  say('passkeys-message', `The passkey ${added?.name ?? name} is added.`);
  await loadPasskeys();
}

// ---------------------------------------------------------------- start

function wire() {
  onSubmit('signin-form', 'signin-error', signIn);
  onSubmit('mfa-form', 'mfa-error', secondStep);
  el('mfa-recovery-toggle').addEventListener('click', () => {
    clearMessage('mfa-error');
    useRecoveryCode(el('mfa-recovery').closest('div').hidden);
  });
  onClick('passkey-signin', 'passkey-signin-error', passkeySignIn);
  onSubmit('forgot-form', 'forgot-error', requestReset);
  onSubmit('signup-form', 'signup-error', signUp);
  onSubmit('reset-form', 'reset-error', confirmReset);
  el('forgot-link').addEventListener('click', () => {
    clearNotice();
    el('forgot-form').reset();
    show(el('forgot-form'));
    show(el('forgot-done'), false);
    clearMessage('forgot-error');
    view('forgot');
  });
  el('signup-link').addEventListener('click', () => {
    clearNotice();
    clearMessage('signup-error');
    view('signup');
  });
  for (const back of document.querySelectorAll('[data-back]')) {
    back.addEventListener('click', () => {
      clearNotice();
      mfaToken = null;
      view(back.dataset.back);
    });
  }

  onClick('signout', 'me-error', signOut);
  onClick('send-verification', 'me-error', sendVerification);
  onClick('sessions-reload', 'sessions-error', loadSessions);
  onSubmit('password-form', 'password-error', changePassword);

  el('totp-begin').addEventListener('click', beginTotp);
  onSubmit('totp-start-form', 'totp-error', startTotp);
  onSubmit('totp-confirm-form', 'totp-error', confirmTotp);
  el('recovery-begin').addEventListener('click', () => askTotpPassword('recovery'));
  el('totp-disable-begin').addEventListener('click', () => askTotpPassword('disable'));
  onSubmit('totp-password-form', 'totp-error', submitTotpPassword);
  for (const cancel of document.querySelectorAll('[data-cancel="totp"]')) {
    cancel.addEventListener('click', () => {
      clearMessage('totp-error');
      endTotpFlow();
    });
  }
  el('recovery-saved').addEventListener('click', hideRecoveryCodes);

  onSubmit('passkey-add-form', 'passkeys-error', addPasskey);
}

/**
 * The token of a mail link (#token=...), taken out of the address bar at once: the address becomes the
 * page's own (.../account/), so that neither the history nor a reload holds or repeats the link.
 */
function takeFragmentToken() {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  history.replaceState(null, '', page.pathname);
  return token;
}

async function start() {
  wire();
  try {
    config = await send(new URL('config.json', page).href);
  } catch (error) {
    notice(`The page could not load its settings: ${describe(error)}`);
  }
  const path = location.pathname.replace(/\/+$/, '');
  if (path.endsWith('/reset-password')) {
    resetToken = takeFragmentToken();
    if (resetToken) {
      view('reset');
      return;
    }
    notice('This reset link holds no token. Ask for a new mail with "Forgot your password?".');
  } else if (path.endsWith('/verify-email')) {
    const token = takeFragmentToken();
    if (token) await verifyEmail(token);
    else notice('This verification link holds no token.');
  }
  let signedIn = false;
  try {
    signedIn = await refresh();
  } catch (error) {
    notice(`Could not check whether you are signed in: ${describe(error)}`);
  }
  if (!signedIn) {
    view('signin');
    return;
  }
  try {
    await enter();
  } catch (error) {
    if (!(error instanceof SessionEnded)) {
      view('signin');
      notice(describe(error));
    }
  }
}

start();
