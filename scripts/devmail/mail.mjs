// Reads the development mail server's HTTP API (maildev 3: GET <api>/email) for the helpers of
// scripts/lib/latchkey.sh (lk_mail_count, lk_mail_wait_for, lk_mail_token); not meant to be run
// by hand. Node only, no packages.
//
//   node mail.mjs <api> count <address> [subject]         how many messages went to <address>
//                                                         (whose subject contains [subject])
//   node mail.mjs <api> text  <address> <subject> <after> the newest such message's text
//   node mail.mjs <api> token <address> <kind> <after>    the token of the newest message with a
//                                                         token link of <kind> (verify, reset, or
//                                                         a subject substring)
// <after>: the first <after> messages to <address> (in arrival order) do not count, so that a
// caller who counted them before an action sees only what the action sent.
//
// Addresses compare without regard to case, among To, Cc and the envelope's recipients (Bcc);
// subjects match as case-insensitive substrings. Exit status: 0 found (printed), 3 not (yet)
// there, 2 the API did not answer or answered something else, 64 bad usage.
const [api, command, address, what = '', after = '0'] = process.argv.slice(2);
if (!api || !['count', 'text', 'token'].includes(command) || !address) {
  console.error('usage: node mail.mjs <api> count|text|token <address> [subject|kind] [after]');
  process.exit(64);
}

let emails;
try {
  const response = await fetch(`${api.replace(/\/$/, '')}/email`, { signal: AbortSignal.timeout(3000) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  emails = await response.json();
  if (!Array.isArray(emails)) throw new Error('not a list of messages');
} catch (e) {
  console.error(`the mail API ${api} did not answer: ${e.message}`);
  process.exit(2);
}

const wanted = address.toLowerCase();
const addresses = (list) => (Array.isArray(list) ? list : list ? [list] : []).map((a) => String(a?.address ?? '').toLowerCase());
const isFor = (m) => [...addresses(m.to), ...addresses(m.cc), ...addresses(m.envelope?.to)].includes(wanted);
const subjectHas = (m, part) => String(m.subject ?? '').toLowerCase().includes(part.toLowerCase());
const body = (m) => m.text ?? String(m.html ?? '').replace(/<[^>]*>/g, ' ');

// links carrying a token: ...?token=X, ...&token=X or ...#token=X (X base64url); in HTML, &amp; is &
const TOKEN_LINK = /https?:\/\/[^\s"'<>]*?[?#&]token=([A-Za-z0-9_-]+)/g;
function tokenLinks(m) {
  const text = `${m.text ?? ''}\n${String(m.html ?? '').replace(/&amp;/g, '&')}`;
  // where: the link without its token (a word looked for in a link must not come from the token)
  return [...text.matchAll(TOKEN_LINK)]
    .map((match) => ({ url: match[0], token: match[1], where: match[0].slice(0, -match[1].length).toLowerCase() }));
}

// <kind>: verify / reset pick the link built from EMAIL_VERIFY_URL / PASSWORD_RESET_URL when the
// variable (a template with {token}) is in the environment, else a link or subject that says
// "verif" / "reset"; any other word is a subject substring, and the message's first token link counts
function tokenOfKind(m, kind) {
  const links = tokenLinks(m);
  const template = { verify: process.env.EMAIL_VERIFY_URL, reset: process.env.PASSWORD_RESET_URL }[kind];
  if (template && template.includes('{token}')) {
    const prefix = template.slice(0, template.indexOf('{token}'));
    return links.find((l) => l.url.startsWith(prefix))?.token;
  }
  const word = { verify: 'verif', reset: 'reset' }[kind];
  if (word) {
    const link = links.find((l) => l.where.includes(word));
    if (link) return link.token;
    return subjectHas(m, word) ? links[0]?.token : undefined;
  }
  return subjectHas(m, kind) ? links[0]?.token : undefined;
}

const mine = emails.filter(isFor)
  .map((m, i) => ({ m, i, t: Date.parse(m.time) || 0 }))
  .sort((a, b) => a.t - b.t || a.i - b.i)
  .map((e) => e.m);

if (command === 'count') {
  console.log(mine.filter((m) => subjectHas(m, what)).length);
  process.exit(0);
}
const recent = mine.slice(Math.max(0, Number.parseInt(after, 10) || 0));
if (command === 'text') {
  const matching = recent.filter((m) => subjectHas(m, what));
  if (matching.length === 0) process.exit(3);
  process.stdout.write(body(matching.at(-1)).replace(/\n?$/, '\n'));
  process.exit(0);
}
const tokens = recent.map((m) => tokenOfKind(m, what)).filter(Boolean);
if (tokens.length === 0) process.exit(3);
console.log(tokens.at(-1));
