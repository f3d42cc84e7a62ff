import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The black-box adversarial suite of scripts/adversarial-test.sh (docs/OPERATING.md,
 * "Adversarial suite"). A single source file run with {@code java scripts/lib/Adversary.java};
 * only the JDK: java.net.http.HttpClient, and a plain Socket where the client would refuse to
 * send the request (raw bytes, duplicate or oversized headers, malformed escapes).
 *
 * <pre>
 * java Adversary.java attack --user URL --auth URL --key FULL_KEY --validate-key VALIDATE_KEY
 *      [--signing-key PKCS8_PEM] [--grace SECONDS] [--account-max-failures N]
 *      [--mail-api URL] --results FILE --secrets FILE
 * java Adversary.java report --results FILE --secrets FILE [--log NAME=PATH:FROM:TO]...
 * </pre>
 *
 * attack: every case is a named request (or a few) with the answer the HTTP contract (README,
 * the two OpenAPI documents) demands; on top of its own expectation, EVERY answer must be free
 * of 5xx, an error must be an application/problem+json document with a code, and no body may
 * show a stack trace, SQL, a bcrypt hash, a private key, an API key, or a password or refresh
 * token the suite sent. Results go to FILE (tab-separated); the secrets the suite used (keys,
 * passwords, refresh and access tokens, the verification and reset tokens it read from the mails
 * and the made-up ones it sent), one "kind TAB value" a line, to the secrets file. --mail-api:
 * the development mail server's API (maildev, http://127.0.0.1:PORT/api) that run.sh started;
 * the account-lifecycle cases read the real tokens there.
 *
 * report: scans the logs (no secret on any line; no stack trace between line FROM and line
 * TO, the window in which the attack ran), prints the table of every case with the counts, and
 * exits 1 when any case failed.
 */
public final class Adversary {

  // ------------------------------------------------------------------ entry

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      System.err.println("usage: java Adversary.java attack|report --help");
      System.exit(2);
    }
    Map<String, List<String>> opts = options(Arrays.copyOfRange(args, 1, args.length));
    switch (args[0]) {
      case "attack" -> System.exit(new Adversary(opts).attack());
      case "report" -> System.exit(report(opts));
      default -> {
        System.err.println("unknown mode " + args[0]);
        System.exit(2);
      }
    }
  }

  private static Map<String, List<String>> options(String[] args) {
    Map<String, List<String>> m = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("expected an option, got " + args[i]);
      }
      m.computeIfAbsent(args[i].substring(2), k -> new ArrayList<>()).add(args[i + 1]);
    }
    return m;
  }

  private static String opt(Map<String, List<String>> m, String name, String dflt) {
    List<String> v = m.get(name);
    if (v == null || v.isEmpty()) {
      if (dflt == null) {
        throw new IllegalArgumentException("missing --" + name);
      }
      return dflt;
    }
    return v.get(0);
  }

  // ------------------------------------------------------------------ state

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
    .connectTimeout(Duration.ofSeconds(5)).build();
  private final String userUrl;
  private final String authUrl;
  private final String fullKey;
  private final String validateKey;
  private final String signingKeyFile;
  private final int grace;
  private final int accountMaxFailures;
  private final String mailApi;
  private final Path resultsFile;
  private final Path secretsFile;
  private final SecureRandom random = new SecureRandom();
  private final String run = hex(4);

  /** kind → values: written to the secrets file for the log scan. */
  private final Map<String, Set<String>> secrets = new TreeMap<>();
  /** Passwords and refresh tokens the suite sent: never to appear in an answer. */
  private final Set<String> sent = Collections.synchronizedSet(new LinkedHashSet<>());
  private final List<String[]> results = new ArrayList<>();

  private Adversary(Map<String, List<String>> o) {
    userUrl = strip(opt(o, "user", null));
    authUrl = strip(opt(o, "auth", null));
    fullKey = opt(o, "key", null);
    validateKey = opt(o, "validate-key", null);
    signingKeyFile = opt(o, "signing-key", "");
    grace = Integer.parseInt(opt(o, "grace", "10"));
    accountMaxFailures = Integer.parseInt(opt(o, "account-max-failures", "10"));
    mailApi = strip(opt(o, "mail-api", ""));
    resultsFile = Path.of(opt(o, "results", null));
    secretsFile = Path.of(opt(o, "secrets", null));
    secret("api-key", fullKey);
    secret("api-key", validateKey);
  }

  private static String strip(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  private void secret(String kind, String value) {
    if (value != null && !value.isEmpty()) {
      secrets.computeIfAbsent(kind, k -> new LinkedHashSet<>()).add(value);
      if (kind.equals("password") || kind.equals("refresh-token") || kind.equals("api-key") || kind.equals("verification-token")
        || kind.equals("reset-token") || kind.equals("made-up-mail-token")) {
        sent.add(value);
      }
    }
  }

  // ------------------------------------------------------------------ answers

  /** One answer: status 0 when none came (error says why). Header names in lower case. */
  record Resp(int status, Map<String, List<String>> headers, String body, String error) {
    String header(String name) {
      List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
      return v == null || v.isEmpty() ? null : v.get(0);
    }

    Object json() {
      try {
        return Json.parse(body);
      } catch (RuntimeException e) {
        return null;
      }
    }

    String code() {
      return json() instanceof Map<?, ?> m && m.get("code") instanceof String s ? s : null;
    }

    String field(String name) {
      return json() instanceof Map<?, ?> m && m.get(name) != null ? String.valueOf(m.get(name)) : null;
    }

    String got() {
      if (status == 0) {
        return "no answer (" + error + ")";
      }
      String c = code();
      return status + (c != null ? " " + c : "");
    }
  }

  /** What a request was, for the report of a failure. */
  record Req(String method, String target, String note) {
    @Override
    public String toString() {
      return method + " " + target + (note.isEmpty() ? "" : " [" + note + "]");
    }
  }

  private Resp send(String method, String url, String body, String... headers) {
    return sendBytes(method, url, body == null ? null : body.getBytes(StandardCharsets.UTF_8), headers);
  }

  private Resp sendBytes(String method, String url, byte[] body, String... headers) {
    try {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20));
      boolean contentType = false;
      for (int i = 0; i + 1 < headers.length; i += 2) {
        b.header(headers[i], headers[i + 1]);
        contentType |= headers[i].equalsIgnoreCase("Content-Type");
      }
      if (body != null && !contentType) {
        b.header("Content-Type", "application/json");
      }
      b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
      HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      Map<String, List<String>> h = new TreeMap<>();
      r.headers().map().forEach((k, v) -> h.put(k.toLowerCase(Locale.ROOT), v));
      return new Resp(r.statusCode(), h, new String(r.body(), StandardCharsets.UTF_8), null);
    } catch (IOException e) {
      return new Resp(0, Map.of(), "", e.getClass().getSimpleName() + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Resp(0, Map.of(), "", "interrupted");
    }
  }

  /** Raw HTTP/1.1 over a socket: request line, headers as given (plus Host and Connection: close), body bytes. */
  private Resp raw(String base, String method, String target, List<String> headerLines, byte[] body, boolean chunked) {
    URI u = URI.create(base);
    ByteArrayOutputStream req = new ByteArrayOutputStream();
    try {
      req.write((method + " " + target + " HTTP/1.1\r\nHost: " + u.getHost() + ":" + u.getPort()
        + "\r\nConnection: close\r\n").getBytes(StandardCharsets.ISO_8859_1));
      for (String line : headerLines) {
        req.write(line.getBytes(StandardCharsets.UTF_8));
        req.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
      }
      if (body != null && !chunked) {
        req.write(("Content-Length: " + body.length + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      }
      if (body != null && chunked) {
        req.write("Transfer-Encoding: chunked\r\n".getBytes(StandardCharsets.ISO_8859_1));
      }
      req.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
      if (body != null && !chunked) {
        req.write(body);
      } else if (body != null) {
        for (int off = 0; off < body.length; off += 8192) {
          int n = Math.min(8192, body.length - off);
          req.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
          req.write(body, off, n);
          req.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        req.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return rawBytes(u.getHost(), u.getPort(), req.toByteArray());
  }

  private Resp rawBytes(String host, int port, byte[] request) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 5000);
      s.setSoTimeout(15000);
      String writeError = null;
      try {
        OutputStream out = s.getOutputStream();
        out.write(request);
        out.flush();
      } catch (IOException e) {
        writeError = e.getMessage();   // the server may answer and close before reading it all
      }
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[8192];
      try {
        for (int n; (n = in.read(buf)) > 0 && got.size() < 4_000_000; ) {
          got.write(buf, 0, n);
        }
      } catch (IOException e) {
        if (got.size() == 0) {
          return new Resp(0, Map.of(), "", "read: " + e.getMessage() + (writeError != null ? "; write: " + writeError : ""));
        }
      }
      return parseRaw(got.toByteArray(), writeError);
    } catch (IOException e) {
      return new Resp(0, Map.of(), "", e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }

  private static Resp parseRaw(byte[] bytes, String writeError) {
    String all = new String(bytes, StandardCharsets.ISO_8859_1);
    int end = all.indexOf("\r\n\r\n");
    if (!all.startsWith("HTTP/") || end < 0) {
      return new Resp(0, Map.of(), "", "no HTTP answer (" + bytes.length + " bytes" + (writeError != null ? "; write: " + writeError : "") + ")");
    }
    String[] lines = all.substring(0, end).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, List<String>> h = new TreeMap<>();
    for (int i = 1; i < lines.length; i++) {
      int c = lines[i].indexOf(':');
      if (c > 0) {
        h.computeIfAbsent(lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
          .add(lines[i].substring(c + 1).trim());
      }
    }
    byte[] body = Arrays.copyOfRange(bytes, end + 4, bytes.length);
    List<String> te = h.get("transfer-encoding");
    if (te != null && te.get(0).equalsIgnoreCase("chunked")) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      int p = 0;
      while (p < body.length) {
        int eol = indexOf(body, p);
        if (eol < 0) {
          break;
        }
        int n = Integer.parseInt(new String(body, p, eol - p, StandardCharsets.ISO_8859_1).split(";")[0].trim(), 16);
        if (n == 0) {
          break;
        }
        out.write(body, eol + 2, Math.min(n, body.length - eol - 2));
        p = eol + 2 + n + 2;
      }
      body = out.toByteArray();
    }
    return new Resp(status, h, new String(body, StandardCharsets.UTF_8), null);
  }

  private static int indexOf(byte[] b, int from) {
    for (int i = from; i + 1 < b.length; i++) {
      if (b[i] == '\r' && b[i + 1] == '\n') {
        return i;
      }
    }
    return -1;
  }

  // ------------------------------------------------------------------ expectations

  /** An expected answer: one of the statuses, one of the codes (none given: any), plus extra checks. */
  static final class Exp {
    /** status → the codes accepted with it (empty: any code, or none). */
    final Map<Integer, Set<String>> allowed = new LinkedHashMap<>();
    final List<Map.Entry<String, Function<Resp, String>>> extras = new ArrayList<>();

    String text() {
      StringBuilder b = new StringBuilder();
      allowed.forEach((st, codes) -> b.append(b.length() > 0 ? " or " : "").append(st).append(codes.isEmpty() ? "" : " " + String.join("|", codes)));
      for (var e : extras) {
        b.append(" +").append(e.getKey());
      }
      return b.toString();
    }

    Exp or(int status, String... more) {
      allowed.computeIfAbsent(status, k -> new LinkedHashSet<>()).addAll(List.of(more));
      return this;
    }

    Exp and(String what, Function<Resp, String> check) {
      extras.add(Map.entry(what, check));
      return this;
    }

    /** 401 with WWW-Authenticate: Bearer (RFC 6750). */
    Exp bearer() {
      return and("WWW-Authenticate: Bearer", r -> {
        String w = r.header("WWW-Authenticate");
        return w != null && w.regionMatches(true, 0, "Bearer", 0, 6) ? null : "WWW-Authenticate is " + w;
      });
    }
  }

  static Exp exp(int status, String... codes) {
    return new Exp().or(status, codes);
  }

  static Exp badToken() {
    return exp(401, "invalid_token").bearer();
  }

  static Exp badKey() {
    return exp(401, "invalid_api_key");
  }

  static Exp bad400() {
    return exp(400, "malformed_request", "validation_failed");
  }

  static Exp inactive() {
    return exp(200).and("body exactly {\"active\":false}", r ->
      r.json() instanceof Map<?, ?> m && m.size() == 1 && Boolean.FALSE.equals(m.get("active")) ? null : "body " + clip(r.body, 200));
  }

  static Exp invalidValidate() {
    return exp(200).and("valid:false", r ->
      r.json() instanceof Map<?, ?> m && Boolean.FALSE.equals(m.get("valid")) ? null : "body " + clip(r.body, 200));
  }

  private static final String[] LEAKS = {"at io.", "at java.", "Exception", "SELECT ", "INSERT ", "UPDATE users", "SQLSTATE",
    "syntax error", "$2a$", "$2b$", "$2y$", "PRIVATE KEY"};

  /** What every answer must satisfy, whatever the case: the list of violations. */
  private List<String> hygiene(Resp r) {
    List<String> v = new ArrayList<>();
    if (r.status == 0) {
      v.add("no answer: " + r.error);
      return v;
    }
    if (r.status >= 500) {
      v.add("5xx");
    }
    if (r.status >= 400) {
      String ct = r.header("Content-Type");
      if (ct == null || !ct.toLowerCase(Locale.ROOT).startsWith("application/problem+json")) {
        v.add("Content-Type " + ct + " (not application/problem+json)");
      }
      if (r.code() == null) {
        v.add("no code in the body");
      }
    }
    for (String leak : LEAKS) {
      if (r.body.contains(leak)) {
        v.add("body shows \"" + leak + "\"");
      }
    }
    synchronized (sent) {
      for (String s : sent) {
        if (r.body.contains(s)) {
          v.add("body shows a secret the suite sent (" + kindOf(s) + ")");
        }
      }
    }
    return v;
  }

  private String kindOf(String value) {
    for (var e : secrets.entrySet()) {
      if (e.getValue().contains(value)) {
        return e.getKey();
      }
    }
    return "?";
  }

  private String group = "";

  /** Records one case: its expectation against the answer, and the hygiene of the answer. */
  private boolean check(String name, Req req, Exp e, Resp r) {
    List<String> why = new ArrayList<>();
    Set<String> codes = e.allowed.get(r.status);
    if (codes == null) {
      why.add("status " + r.status);
    } else if (!codes.isEmpty() && !codes.contains(r.code())) {
      why.add("code " + r.code());
    }
    if (codes != null) {
      for (var x : e.extras) {
        String f = x.getValue().apply(r);
        if (f != null) {
          why.add(f);
        }
      }
    }
    boolean statusOk = why.isEmpty();
    why.addAll(hygiene(r));
    // when only the hygiene failed, say so next to the status (a 431 that is not a problem document)
    String got = statusOk && !why.isEmpty() ? r.got() + " [" + why.get(0) + "]" : r.got();
    record(name, e.text(), got, why, req + " -> " + r.got() + " " + clip(r.body, 300));
    return why.isEmpty();
  }

  /** A case judged by the suite itself (a property over several answers). */
  private boolean verdict(String name, String expected, String got, String failure, String detail) {
    record(name, expected, got, failure == null ? List.of() : List.of(failure), detail);
    return failure == null;
  }

  private void record(String name, String expected, String got, List<String> why, String detail) {
    boolean ok = why.isEmpty();
    results.add(new String[] {group, name, expected, got, ok ? "ok" : "FAIL", ok ? "" : String.join("; ", why) + " :: " + detail});
    System.out.printf("  %-4s %-60s %s%n", ok ? "ok" : "FAIL", clip(name, 60), ok ? "" : got + "  (" + String.join("; ", why) + ")");
  }

  static String clip(String s, int n) {
    if (s == null) {
      return "";
    }
    String one = s.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t").replace("\u0000", "\\0");
    return one.length() <= n ? one : one.substring(0, n) + "...(" + s.length() + " chars)";
  }

  // ------------------------------------------------------------------ helpers of the flows

  record User(String id, String username, String email, String password) {
  }

  record Session(String access, String refresh, String sessionId) {
  }

  private String hex(int bytes) {
    byte[] b = new byte[bytes];
    random.nextBytes(b);
    StringBuilder s = new StringBuilder();
    for (byte x : b) {
      s.append(String.format("%02x", x));
    }
    return s.toString();
  }

  private String newPassword() {
    String p = "Adv-" + hex(10) + "-pw";
    secret("password", p);
    return p;
  }

  private User register(String tag) {
    String name = "adv_" + tag + "_" + run;
    String email = name + "@example.com";
    String pw = newPassword();
    Resp r = send("POST", userUrl + "/users", "{\"username\":" + js(name) + ",\"email\":" + js(email) + ",\"password\":" + js(pw) + "}");
    if (r.status != 201 || r.field("id") == null) {
      throw new IllegalStateException("registration of " + name + " failed: " + r.got() + " " + clip(r.body, 300));
    }
    return new User(r.field("id"), name, email, pw);
  }

  private Session login(User u) {
    Resp r = send("POST", authUrl + "/auth/login", "{\"login\":" + js(u.username) + ",\"password\":" + js(u.password) + "}");
    if (r.status != 200) {
      throw new IllegalStateException("login of " + u.username + " failed: " + r.got() + " " + clip(r.body, 300));
    }
    return session(r);
  }

  private Session session(Resp r) {
    Session s = new Session(r.field("accessToken"), r.field("refreshToken"), r.field("sessionId"));
    secret("access-token", s.access);
    secret("refresh-token-received", s.refresh);
    return s;
  }

  private Resp refresh(String token) {
    secret("refresh-token", token);
    return send("POST", authUrl + "/auth/refresh", "{\"refreshToken\":" + js(token) + "}");
  }

  private String[] bearer(String token) {
    return new String[] {"Authorization", "Bearer " + token};
  }

  private String[] key(String k) {
    return new String[] {"X-API-Key", k};
  }

  static String js(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  // ------------------------------------------------------------------ JWT

  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  static String b64(String s) {
    return B64.encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  static String unb64(String s) {
    return new String(Base64.getUrlDecoder().decode(s), StandardCharsets.UTF_8);
  }

  static String rs256(String header, String payload, PrivateKey key) {
    try {
      String input = b64(header) + "." + b64(payload);
      Signature sig = Signature.getInstance("SHA256withRSA");
      sig.initSign(key);
      sig.update(input.getBytes(StandardCharsets.US_ASCII));
      return input + "." + B64.encodeToString(sig.sign());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static String hs256(String header, String payload, byte[] secret) {
    try {
      String input = b64(header) + "." + b64(payload);
      Mac mac = Mac.getInstance("HmacSHA256");
      // the JDK refuses an empty key; HMAC pads any key with zero bytes, so 64 zeros is the empty key
      mac.init(new SecretKeySpec(secret.length == 0 ? new byte[64] : secret, "HmacSHA256"));
      return input + "." + B64.encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The claims of a token, as an ordered map. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> claims(String token) {
    return (Map<String, Object>) Json.parse(unb64(token.split("\\.")[1]));
  }

  static String withPayload(String token, Map<String, Object> claims) {
    String[] p = token.split("\\.");
    return p[0] + "." + b64(Json.write(claims)) + "." + p[2];
  }

  static Map<String, Object> copy(Map<String, Object> m) {
    return new LinkedHashMap<>(m);
  }

  private static PrivateKey readPkcs8(Path pem) throws Exception {
    String text = Files.readString(pem).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(text)));
  }

  private static String thumbprint(RSAPublicKey k) throws Exception {
    String n = B64.encodeToString(unsigned(k.getModulus()));
    String e = B64.encodeToString(unsigned(k.getPublicExponent()));
    String json = "{\"e\":\"" + e + "\",\"kty\":\"RSA\",\"n\":\"" + n + "\"}";
    return B64.encodeToString(MessageDigest.getInstance("SHA-256").digest(json.getBytes(StandardCharsets.US_ASCII)));
  }

  private static byte[] unsigned(BigInteger v) {
    byte[] b = v.toByteArray();
    return b[0] == 0 ? Arrays.copyOfRange(b, 1, b.length) : b;
  }

  private static String jwkOf(RSAPublicKey k, String kid) {
    return "{\"kty\":\"RSA\",\"kid\":" + js(kid) + ",\"use\":\"sig\",\"alg\":\"RS256\",\"n\":\""
      + B64.encodeToString(unsigned(k.getModulus())) + "\",\"e\":\"" + B64.encodeToString(unsigned(k.getPublicExponent())) + "\"}";
  }

  // ------------------------------------------------------------------ the attack

  private User a;
  private User b;
  private Session sa;
  private Session sb;

  private int attack() throws Exception {
    long t0 = System.currentTimeMillis();
    System.out.println("adversary: run " + run + " against user " + userUrl + ", auth " + authUrl);
    int status = 0;
    try {
      a = register("a");
      b = register("b");
      sa = login(a);
      sb = login(b);
      jwt();
      refreshTokens();
      keys();
      idor();
      massAssignment();
      unicode();
      oversized();
      enumeration();
      lifecycle();
      throttling();
      httpBasics();
    } catch (RuntimeException e) {
      group = "setup";
      verdict("the suite ran to its end", "no error", e.toString(), e.toString(), "");
      e.printStackTrace();
      status = 1;
    } finally {
      StringBuilder out = new StringBuilder();
      for (String[] r : results) {
        out.append(String.join("\t", Arrays.stream(r).map(x -> x.replace("\t", " ").replace("\n", " ")).toList())).append('\n');
      }
      Files.writeString(resultsFile, out.toString());
      StringBuilder sec = new StringBuilder();
      secrets.forEach((kind, values) -> values.forEach(v -> sec.append(kind).append('\t').append(v).append('\n')));
      Files.writeString(secretsFile, sec.toString());
    }
    long failed = results.stream().filter(r -> r[4].equals("FAIL")).count();
    System.out.printf("adversary: %d cases, %d failed, %.1f s%n", results.size(), failed, (System.currentTimeMillis() - t0) / 1000.0);
    return status;
  }

  // ---------------------------------------------------------------- RFC 8725: forged and confused tokens

  private void jwt() throws Exception {
    group = "jwt (RFC 8725)";
    System.out.println("== " + group);
    String me = authUrl + "/auth/me";
    String userA = userUrl + "/users/" + a.id;

    // controls: the genuine token works on both services
    check("control: genuine token, auth /auth/me", new Req("GET", "/auth/me", "A's token"), exp(200), send("GET", me, null, bearer(sa.access)));
    check("control: genuine token, user GET /users/{A}", new Req("GET", "/users/{A}", "A's token"), exp(200), send("GET", userA, null, bearer(sa.access)));

    Resp jwks = send("GET", authUrl + "/.well-known/jwks.json", null);
    @SuppressWarnings("unchecked")
    Map<String, Object> jwk0 = (Map<String, Object>) ((List<Object>) ((Map<String, Object>) jwks.json()).get("keys")).get(0);
    String realKid = (String) jwk0.get("kid");
    RSAPublicKey realPub = (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(
      new BigInteger(1, Base64.getUrlDecoder().decode((String) jwk0.get("n"))), new BigInteger(1, Base64.getUrlDecoder().decode((String) jwk0.get("e")))));
    check("JWKS publishes no private parameter (d, p, q)", new Req("GET", "/.well-known/jwks.json", ""),
      exp(200).and("no d/p/q/dp/dq/qi", r -> r.body.matches("(?s).*\"(d|p|q|dp|dq|qi)\"\\s*:.*") ? "private parameter in the JWK set" : null), jwks);

    String pem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
      .encodeToString(realPub.getEncoded()) + "\n-----END PUBLIC KEY-----\n";
    Map<String, Object> c = claims(sa.access);
    String payload = Json.write(c);
    String realHeader = unb64(sa.access.split("\\.")[0]);
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    KeyPair evil = g.generateKeyPair();
    RSAPublicKey evilPub = (RSAPublicKey) evil.getPublic();
    String evilKid = thumbprint(evilPub);

    Map<String, String> forged = new LinkedHashMap<>();
    forged.put("alg none, no signature", b64("{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":" + js(realKid) + "}") + "." + b64(payload) + ".");
    forged.put("alg none, original signature kept", b64("{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":" + js(realKid) + "}") + "." + b64(payload) + "." + sa.access.split("\\.")[2]);
    forged.put("alg NoNe (case variant)", b64("{\"alg\":\"NoNe\",\"kid\":" + js(realKid) + "}") + "." + b64(payload) + ".");
    forged.put("HS256 keyed with the JWKS public key as PEM", hs256("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":" + js(realKid) + "}", payload, pem.getBytes(StandardCharsets.US_ASCII)));
    forged.put("HS256 keyed with the public key as DER", hs256("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":" + js(realKid) + "}", payload, realPub.getEncoded()));
    forged.put("HS256 keyed with the JWK JSON", hs256("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":" + js(realKid) + "}", payload, Json.write(jwk0).getBytes(StandardCharsets.UTF_8)));
    forged.put("RS256 by another key, real kid", rs256(realHeader, payload, evil.getPrivate()));
    forged.put("unknown kid (another key)", rs256("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"adv-unknown-kid\"}", payload, evil.getPrivate()));
    forged.put("kid path traversal, HS256 empty key", hs256("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"../../../../../../../dev/null\"}", payload, new byte[0]));
    forged.put("kid path traversal, RS256", rs256("{\"alg\":\"RS256\",\"kid\":\"../../../../../../etc/passwd\"}", payload, evil.getPrivate()));
    forged.put("kid SQL injection, HS256 keyed 'secret'", hs256("{\"alg\":\"HS256\",\"kid\":\"x' UNION SELECT 'secret' -- \"}", payload, "secret".getBytes(StandardCharsets.US_ASCII)));
    forged.put("kid SQL injection, RS256", rs256("{\"alg\":\"RS256\",\"kid\":\"' OR '1'='1\"}", payload, evil.getPrivate()));
    forged.put("kid 3,000 characters", rs256("{\"alg\":\"RS256\",\"kid\":\"" + "k".repeat(3000) + "\"}", payload, evil.getPrivate()));
    forged.put("kid not a string", rs256("{\"alg\":\"RS256\",\"kid\":[" + js(realKid) + "]}", payload, evil.getPrivate()));
    forged.put("jku to an attacker's JWKS", rs256("{\"alg\":\"RS256\",\"kid\":" + js(evilKid) + ",\"jku\":\"http://127.0.0.1:9/jwks.json\"}", payload, evil.getPrivate()));
    forged.put("x5u to an attacker's certificate", rs256("{\"alg\":\"RS256\",\"kid\":" + js(evilKid) + ",\"x5u\":\"http://127.0.0.1:9/cert.pem\"}", payload, evil.getPrivate()));
    forged.put("embedded jwk (attacker's key and kid)", rs256("{\"alg\":\"RS256\",\"kid\":" + js(evilKid) + ",\"jwk\":" + jwkOf(evilPub, evilKid) + "}", payload, evil.getPrivate()));
    forged.put("embedded jwk (attacker's key, real kid)", rs256("{\"alg\":\"RS256\",\"kid\":" + js(realKid) + ",\"jwk\":" + jwkOf(evilPub, realKid) + "}", payload, evil.getPrivate()));
    Map<String, Object> m = copy(c);
    m.put("roles", List.of("user", "admin"));
    forged.put("claim changed: roles + admin (signature kept)", withPayload(sa.access, m));
    m = copy(c);
    m.put("sub", b.id);
    forged.put("claim changed: sub = B (signature kept)", withPayload(sa.access, m));
    m = copy(c);
    m.put("exp", ((Number) c.get("exp")).longValue() + 365L * 86400);
    forged.put("claim changed: exp + 1 year (signature kept)", withPayload(sa.access, m));
    forged.put("signature stripped", sa.access.substring(0, sa.access.lastIndexOf('.') + 1));
    forged.put("four segments", sa.access + ".AAAA");
    forged.put("not base64url", "!!!." + sa.access.split("\\.")[1] + ".***");
    forged.put("refresh token as bearer token", sa.refresh);
    secret("refresh-token", sa.refresh);
    if (!signingKeyFile.isEmpty()) {
      PrivateKey realPriv = readPkcs8(Path.of(signingKeyFile));
      long now = System.currentTimeMillis() / 1000;
      m = copy(c);
      m.put("iat", now - 3600);
      m.put("exp", now - 60);
      forged.put("expired (signed with the real key)", rs256(realHeader, Json.write(m), realPriv));
      m = copy(c);
      m.put("iss", "https://evil.example");
      forged.put("wrong iss (signed with the real key)", rs256(realHeader, Json.write(m), realPriv));
      m = copy(c);
      m.put("aud", "someone-else");
      forged.put("wrong aud (signed with the real key)", rs256(realHeader, Json.write(m), realPriv));
      m = copy(c);
      m.remove("aud");
      forged.put("no aud (signed with the real key)", rs256(realHeader, Json.write(m), realPriv));
      m = copy(c);
      m.put("exp", String.valueOf(now + 3600));
      forged.put("exp as a string (signed with the real key)", rs256(realHeader, Json.write(m), realPriv));
      forged.put("unknown crit header (signed with the real key)", rs256("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":" + js(realKid)
        + ",\"crit\":[\"adv\"],\"adv\":true}", payload, realPriv));
    }

    for (var e : forged.entrySet()) {
      String t = e.getValue();
      check(e.getKey() + " -> auth /auth/me", new Req("GET", "/auth/me", e.getKey()), badToken(), send("GET", me, null, bearer(t)));
      String target = e.getKey().contains("sub = B") ? userUrl + "/users/" + b.id : e.getKey().contains("roles") ? userUrl + "/users?search=adv&limit=5" : userA;
      check(e.getKey() + " -> user " + (target.equals(userA) ? "GET /users/{A}" : target.substring(userUrl.length())),
        new Req("GET", target.substring(userUrl.length()), e.getKey()), badToken(), send("GET", target, null, bearer(t)));
    }
    // introspection and validation of the forged tokens: exactly {"active": false}, {valid:false}
    for (String name : List.of("alg none, no signature", "HS256 keyed with the JWKS public key as PEM", "unknown kid (another key)",
      "claim changed: roles + admin (signature kept)", "expired (signed with the real key)", "wrong iss (signed with the real key)",
      "wrong aud (signed with the real key)", "embedded jwk (attacker's key and kid)", "refresh token as bearer token", "not base64url")) {
      String t = forged.get(name);
      if (t == null) {
        continue;
      }
      check("introspect: " + name, new Req("POST", "/auth/introspect", name), inactive(),
        send("POST", authUrl + "/auth/introspect", "{\"token\":" + js(t) + "}", key(validateKey)));
      check("validate-token: " + name, new Req("POST", "/auth/validate-token", name), invalidValidate(),
        send("POST", authUrl + "/auth/validate-token", "{\"token\":" + js(t) + "}", key(fullKey)));
    }
    check("introspect: 10,000-character token", new Req("POST", "/auth/introspect", "10k chars"), inactive(),
      send("POST", authUrl + "/auth/introspect", "{\"token\":" + js("e" + "A".repeat(9999)) + "}", key(validateKey)));
    check("introspect: control, genuine token is active", new Req("POST", "/auth/introspect", "A's token"),
      exp(200).and("active:true", r -> r.body.contains("\"active\":true") ? null : "not active"),
      send("POST", authUrl + "/auth/introspect", "{\"token\":" + js(sa.access) + "}", key(validateKey)));
    // RFC 7662's own form body: the genuine token works; a bad %-escape in front of it is a 400 and
    // never puts the body (the live token) in a log line (the log scan checks the token)
    check("introspect form: control, genuine token is active", new Req("POST", "/auth/introspect", "form body"),
      exp(200).and("active:true", r -> r.body.contains("\"active\":true") ? null : "not active"),
      send("POST", authUrl + "/auth/introspect", "token=" + sa.access, "X-API-Key", validateKey,
        "Content-Type", "application/x-www-form-urlencoded"));
    check("introspect form: malformed %-escape before a live token", new Req("POST", "/auth/introspect", "token=abc%zz<A>"),
      exp(400, "malformed_request", "validation_failed"),
      send("POST", authUrl + "/auth/introspect", "token=abc%zz" + sa.access, "X-API-Key", validateKey,
        "Content-Type", "application/x-www-form-urlencoded"));

    // where and how the token travels
    check("token in the query string (access_token=) -> auth /auth/me", new Req("GET", "/auth/me?access_token=<A>", "no header"), badToken(),
      send("GET", me + "?access_token=" + sa.access, null));
    check("token in the query string (access_token=) -> user GET /users/{A}", new Req("GET", "/users/{A}?access_token=<A>", "no header"),
      exp(401, "invalid_token", "invalid_api_key"), send("GET", userA + "?access_token=" + sa.access, null));
    Exp rfc7235 = exp(200);   // RFC 7235 2.1 / RFC 9110 11.1: the auth scheme is case-insensitive
    check("lower-case 'bearer' scheme -> auth /auth/me (RFC 9110 11.1: case-insensitive)", new Req("GET", "/auth/me", "bearer <A>"), rfc7235,
      send("GET", me, null, "Authorization", "bearer " + sa.access));
    check("lower-case 'bearer' scheme -> user GET /users/{A}", new Req("GET", "/users/{A}", "bearer <A>"), rfc7235,
      send("GET", userA, null, "Authorization", "bearer " + sa.access));
    check("'Bearer' without a token", new Req("GET", "/auth/me", "Authorization: Bearer"), badToken(), send("GET", me, null, "Authorization", "Bearer"));
    check("Basic scheme carrying the token", new Req("GET", "/auth/me", "Basic <A>"), badToken(), send("GET", me, null, "Authorization", "Basic " + sa.access));
    Exp two = exp(401, "invalid_token").or(400, "malformed_request");
    check("two Authorization headers (valid, forged) -> auth", new Req("GET", "/auth/me", "raw: 2 Authorization lines"), two,
      raw(authUrl, "GET", "/auth/me", List.of("Authorization: Bearer " + sa.access, "Authorization: Bearer " + forged.get("alg none, no signature")), null, false));
    check("two Authorization headers (forged, valid) -> auth", new Req("GET", "/auth/me", "raw: 2 Authorization lines"), two,
      raw(authUrl, "GET", "/auth/me", List.of("Authorization: Bearer " + forged.get("alg none, no signature"), "Authorization: Bearer " + sa.access), null, false));
    check("two Authorization headers (A, B) -> user GET /users/{B}", new Req("GET", "/users/{B}", "raw: Authorization A then B"), two,
      raw(userUrl, "GET", "/users/" + b.id, List.of("Authorization: Bearer " + sa.access, "Authorization: Bearer " + sb.access), null, false));
    check("two Authorization headers (A, B) -> user GET /users/{A}", new Req("GET", "/users/{A}", "raw: Authorization A then B"), two,
      raw(userUrl, "GET", "/users/" + a.id, List.of("Authorization: Bearer " + sb.access, "Authorization: Bearer " + sa.access), null, false));

    // a revoked token is refused by both services
    User r = register("revoked");
    Session sr = login(r);
    Resp lo = send("POST", authUrl + "/auth/logout", null, bearer(sr.access));
    check("control: logout", new Req("POST", "/auth/logout", "bearer"), exp(204), lo);
    check("revoked (logged-out) token -> auth /auth/me", new Req("GET", "/auth/me", "after logout"), badToken(), send("GET", me, null, bearer(sr.access)));
    check("revoked (logged-out) token -> user GET /users/{id}", new Req("GET", "/users/{id}", "after logout"), badToken(),
      send("GET", userUrl + "/users/" + r.id, null, bearer(sr.access)));
    check("revoked token: introspect", new Req("POST", "/auth/introspect", "after logout"), inactive(),
      send("POST", authUrl + "/auth/introspect", "{\"token\":" + js(sr.access) + "}", key(fullKey)));
    check("refresh after logout", new Req("POST", "/auth/refresh", "logged-out session"), exp(401, "invalid_refresh_token"), refresh(sr.refresh));
  }

  // ---------------------------------------------------------------- RFC 9700: refresh tokens

  private void refreshTokens() throws Exception {
    group = "refresh (RFC 9700)";
    System.out.println("== " + group);
    User d = register("storm");
    Session sd = login(d);
    secret("refresh-token", sd.refresh);
    List<CompletableFuture<Resp>> storm = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      storm.add(CompletableFuture.supplyAsync(() -> send("POST", authUrl + "/auth/refresh", "{\"refreshToken\":" + js(sd.refresh) + "}")));
    }
    List<Resp> answers = storm.stream().map(CompletableFuture::join).toList();
    Set<String> successors = new HashSet<>();
    Map<String, Integer> statuses = new TreeMap<>();
    List<String> hyg = new ArrayList<>();
    for (Resp r : answers) {
      statuses.merge(r.got(), 1, Integer::sum);
      if (r.status == 200) {
        successors.add(r.field("refreshToken"));
        session(r);
      }
      hyg.addAll(hygiene(r));
    }
    String got = statuses + ", " + successors.size() + " successor(s)";
    String fail = !hyg.isEmpty() ? String.join("; ", new LinkedHashSet<>(hyg))
      : statuses.size() != 1 || !statuses.containsKey("200") ? "not all 200"
      : successors.size() != 1 ? "several successors" : null;
    verdict("20 parallel refreshes of one token: all 200, one successor", "20x 200, 1 successor", got, fail, "POST /auth/refresh x20 -> " + got);
    String s1 = successors.isEmpty() ? "none" : successors.iterator().next();
    Resp next = refresh(s1);
    check("the one successor refreshes", new Req("POST", "/auth/refresh", "successor of the storm"), exp(200), next);
    Session sd2 = next.status == 200 ? session(next) : null;
    if (sd2 != null) {
      Resp list = send("GET", authUrl + "/auth/sessions", null, bearer(sd2.access));
      check("after the storm the user has exactly one session", new Req("GET", "/auth/sessions", "storm user"),
        exp(200).and("1 session", r -> r.json() instanceof Map<?, ?> mm && mm.get("items") instanceof List<?> l && l.size() == 1 ? null : "sessions: " + clip(r.body, 200)), list);
    }

    // reuse within the grace: the same successor; after the grace: reuse, the session revoked
    User e = register("reuse");
    Session se = login(e);
    Resp first = refresh(se.refresh);
    check("control: first refresh", new Req("POST", "/auth/refresh", ""), exp(200), first);
    Session se2 = session(first);
    check("replay within the grace returns the same successor", new Req("POST", "/auth/refresh", "same token again at once"),
      exp(200).and("same successor", r -> se2.refresh.equals(r.field("refreshToken")) ? null : "a different successor"), refresh(se.refresh));
    Thread.sleep((grace + 1) * 1000L + 500);
    check("replay after the grace: reuse detected", new Req("POST", "/auth/refresh", "rotated token after " + (grace + 1) + " s"),
      exp(401, "refresh_token_reused"), refresh(se.refresh));
    check("after reuse: the successor is refused (session revoked)", new Req("POST", "/auth/refresh", "successor"),
      exp(401, "invalid_refresh_token", "refresh_token_reused"), refresh(se2.refresh));
    check("after reuse: the session's access token is refused", new Req("GET", "/auth/me", "after reuse"), badToken(),
      send("GET", authUrl + "/auth/me", null, bearer(se2.access)));

    check("access token presented as a refresh token", new Req("POST", "/auth/refresh", "access token"), exp(401, "invalid_refresh_token"), refresh(sa.access));
    check("random refresh token", new Req("POST", "/auth/refresh", "random"), exp(401, "invalid_refresh_token"), refresh(B64.encodeToString(new byte[32])));
    check("10,000-character refresh token", new Req("POST", "/auth/refresh", "10k chars"), exp(401, "invalid_refresh_token").or(400, "validation_failed"),
      send("POST", authUrl + "/auth/refresh", "{\"refreshToken\":\"" + "A".repeat(10000) + "\"}"));
    check("refresh token as a number", new Req("POST", "/auth/refresh", "{refreshToken: 1}"), bad400(), send("POST", authUrl + "/auth/refresh", "{\"refreshToken\":1}"));
    check("refresh with an extra field", new Req("POST", "/auth/refresh", "+sessionId"), bad400(),
      send("POST", authUrl + "/auth/refresh", "{\"refreshToken\":" + js(B64.encodeToString(new byte[32])) + ",\"sessionId\":" + js(sb.sessionId) + "}"));

    User f = register("logoutall");
    Session sf1 = login(f);
    Session sf2 = login(f);
    check("control: logout-all", new Req("POST", "/auth/logout-all", ""), exp(200), send("POST", authUrl + "/auth/logout-all", null, bearer(sf1.access)));
    check("refresh after logout-all", new Req("POST", "/auth/refresh", "other session"), exp(401, "invalid_refresh_token"), refresh(sf2.refresh));
    check("access token of another session after logout-all", new Req("GET", "/users/{id}", ""), badToken(),
      send("GET", userUrl + "/users/" + f.id, null, bearer(sf2.access)));
    Session sf3 = login(f);
    check("logout by refresh token (no bearer)", new Req("POST", "/auth/logout", "{refreshToken}"), exp(204),
      send("POST", authUrl + "/auth/logout", "{\"refreshToken\":" + js(sf3.refresh) + "}"));
    secret("refresh-token", sf3.refresh);
    check("refresh after logout by refresh token", new Req("POST", "/auth/refresh", ""), exp(401, "invalid_refresh_token"), refresh(sf3.refresh));
  }

  // ---------------------------------------------------------------- keys

  private void keys() {
    group = "api keys (ASVS V4/V8)";
    System.out.println("== " + group);
    String vc = userUrl + "/users/verify-credentials";
    String vcBody = "{\"login\":" + js(a.username) + ",\"password\":" + js(a.password) + "}";
    String syncDel = authUrl + "/auth/sync/user-deleted";
    String syncBody = "{\"userId\":" + js(a.id) + "}";
    String validate = authUrl + "/auth/validate-token";
    String tokenBody = "{\"token\":" + js(sa.access) + "}";
    String wrong = "adv-wrong-" + hex(8);
    secret("wrong-key", wrong);

    check("control: full key, verify-credentials", new Req("POST", "/users/verify-credentials", "full key"), exp(200), send("POST", vc, vcBody, key(fullKey)));
    check("control: validate-only key, validate-token", new Req("POST", "/auth/validate-token", "validate key"), exp(200), send("POST", validate, tokenBody, key(validateKey)));
    check("control: validate-only key, introspect", new Req("POST", "/auth/introspect", "validate key"), exp(200),
      send("POST", authUrl + "/auth/introspect", tokenBody, key(validateKey)));

    check("no key: verify-credentials", new Req("POST", "/users/verify-credentials", "no key"), badKey(), send("POST", vc, vcBody));
    check("no key: sync/user-deleted", new Req("POST", "/auth/sync/user-deleted", "no key"), badKey(), send("POST", syncDel, syncBody));
    check("no key: validate-token", new Req("POST", "/auth/validate-token", "no key"), badKey(), send("POST", validate, tokenBody));
    check("no key: introspect", new Req("POST", "/auth/introspect", "no key"), badKey(), send("POST", authUrl + "/auth/introspect", tokenBody));
    check("no key: GET /users/{A}/password-hash", new Req("GET", "/users/{A}/password-hash", "no key"), exp(401, "invalid_api_key", "invalid_token"),
      send("GET", userUrl + "/users/" + a.id + "/password-hash", null));
    check("wrong key: verify-credentials", new Req("POST", "/users/verify-credentials", "wrong key"), badKey(), send("POST", vc, vcBody, key(wrong)));
    check("wrong key: PUT /users/{A}/roles admin", new Req("PUT", "/users/{A}/roles", "wrong key"), badKey(),
      send("PUT", userUrl + "/users/" + a.id + "/roles", "{\"roles\":[\"user\",\"admin\"]}", key(wrong)));
    check("wrong key: sync/password", new Req("POST", "/auth/sync/password", "wrong key"), badKey(),
      send("POST", authUrl + "/auth/sync/password", "{\"userId\":" + js(a.id) + ",\"passwordVersion\":99}", key(wrong)));
    check("wrong key: validate-token", new Req("POST", "/auth/validate-token", "wrong key"), badKey(), send("POST", validate, tokenBody, key(wrong)));
    check("wrong key with a valid bearer token: GET /users/{A} (key checked first)", new Req("GET", "/users/{A}", "wrong key + A's token"), badKey(),
      send("GET", userUrl + "/users/" + a.id, null, "X-API-Key", wrong, "Authorization", "Bearer " + sa.access));
    check("empty X-API-Key", new Req("POST", "/users/verify-credentials", "X-API-Key: (empty)"), badKey(),
      raw(userUrl, "POST", "/users/verify-credentials", List.of("X-API-Key:", "Content-Type: application/json"), vcBody.getBytes(StandardCharsets.UTF_8), false));
    check("key minus its last character", new Req("POST", "/auth/validate-token", "prefix"), badKey(), send("POST", validate, tokenBody, key(fullKey.substring(0, fullKey.length() - 1))));
    check("key plus one character", new Req("POST", "/auth/validate-token", "key + 'x'"), badKey(), send("POST", validate, tokenBody, key(fullKey + "x")));
    check("key in upper case", new Req("POST", "/auth/validate-token", "KEY"), badKey(), send("POST", validate, tokenBody, key(fullKey.toUpperCase(Locale.ROOT))));
    check("key + tab + text", new Req("POST", "/auth/validate-token", "raw: 'KEY\\tx'"), badKey(),
      raw(authUrl, "POST", "/auth/validate-token", List.of("X-API-Key: " + fullKey + "\tx", "Content-Type: application/json"), tokenBody.getBytes(StandardCharsets.UTF_8), false));
    // RFC 9110 5.5: whitespace around a field value is not part of it; either answer is safe, a 5xx is not
    check("key with trailing spaces (OWS, RFC 9110 5.5)", new Req("POST", "/auth/validate-token", "raw: 'KEY   '"), exp(200).or(401, "invalid_api_key"),
      raw(authUrl, "POST", "/auth/validate-token", List.of("X-API-Key: " + fullKey + "   ", "Content-Type: application/json"), tokenBody.getBytes(StandardCharsets.UTF_8), false));
    check("two keys joined by a comma in one line", new Req("POST", "/auth/sync/user-deleted", "'wrong, KEY'"), badKey(),
      send("POST", syncDel, syncBody, key(wrong + ", " + fullKey)));
    Exp dup = exp(401, "invalid_api_key").or(400, "malformed_request");
    check("two X-API-Key lines (full, wrong): verify-credentials", new Req("POST", "/users/verify-credentials", "raw: 2 X-API-Key lines"), dup,
      raw(userUrl, "POST", "/users/verify-credentials", List.of("X-API-Key: " + fullKey, "X-API-Key: " + wrong, "Content-Type: application/json"), vcBody.getBytes(StandardCharsets.UTF_8), false));
    check("two X-API-Key lines (wrong, full): verify-credentials", new Req("POST", "/users/verify-credentials", "raw: 2 X-API-Key lines"), dup,
      raw(userUrl, "POST", "/users/verify-credentials", List.of("X-API-Key: " + wrong, "X-API-Key: " + fullKey, "Content-Type: application/json"), vcBody.getBytes(StandardCharsets.UTF_8), false));
    check("two X-API-Key lines (validate-only, full): sync/user-updated", new Req("POST", "/auth/sync/user-updated", "raw: 2 X-API-Key lines"), dup,
      raw(authUrl, "POST", "/auth/sync/user-updated", List.of("X-API-Key: " + validateKey, "X-API-Key: " + fullKey, "Content-Type: application/json"), syncBody.getBytes(StandardCharsets.UTF_8), false));
    check("two X-API-Key lines (full, validate-only): validate-token", new Req("POST", "/auth/validate-token", "raw: 2 X-API-Key lines"), dup,
      raw(authUrl, "POST", "/auth/validate-token", List.of("X-API-Key: " + fullKey, "X-API-Key: " + wrong, "Content-Type: application/json"), tokenBody.getBytes(StandardCharsets.UTF_8), false));

    // the validate-only key opens validate-token and introspect, nothing else
    check("validate-only key: sync/password", new Req("POST", "/auth/sync/password", "validate key"), badKey(),
      send("POST", authUrl + "/auth/sync/password", "{\"userId\":" + js(a.id) + ",\"passwordVersion\":99}", key(validateKey)));
    check("validate-only key: sync/user-deleted", new Req("POST", "/auth/sync/user-deleted", "validate key"), badKey(), send("POST", syncDel, syncBody, key(validateKey)));
    check("validate-only key: sync/user-updated", new Req("POST", "/auth/sync/user-updated", "validate key"), badKey(),
      send("POST", authUrl + "/auth/sync/user-updated", syncBody, key(validateKey)));
    Exp notAdmin = exp(401, "invalid_api_key").or(403, "forbidden");
    check("validate-only key: GET /admin/password-cache", new Req("GET", "/admin/password-cache", "validate key"), notAdmin,
      send("GET", authUrl + "/admin/password-cache", null, key(validateKey)));
    check("validate-only key: DELETE /admin/password-cache/{A}", new Req("DELETE", "/admin/password-cache/{A}", "validate key"), notAdmin,
      send("DELETE", authUrl + "/admin/password-cache/" + a.id, null, key(validateKey)));
    check("validate-only key: POST /admin/password-cache/sync", new Req("POST", "/admin/password-cache/sync", "validate key"), notAdmin,
      send("POST", authUrl + "/admin/password-cache/sync", "{}", key(validateKey)));
    check("validate-only key: PUT /users/{A}/roles admin", new Req("PUT", "/users/{A}/roles", "validate key"), notAdmin,
      send("PUT", userUrl + "/users/" + a.id + "/roles", "{\"roles\":[\"user\",\"admin\"]}", key(validateKey)));
    check("validate-only key: GET /users/{A}/password-hash", new Req("GET", "/users/{A}/password-hash", "validate key"), notAdmin,
      send("GET", userUrl + "/users/" + a.id + "/password-hash", null, key(validateKey)));
    check("validate-only key: verify-credentials", new Req("POST", "/users/verify-credentials", "validate key"), notAdmin, send("POST", vc, vcBody, key(validateKey)));
    check("validate-only key: GET /users?search=", new Req("GET", "/users?search=adv", "validate key"), notAdmin,
      send("GET", userUrl + "/users?search=adv&limit=5", null, key(validateKey)));
    check("validate-only key: POST /users/{A}/password-changed", new Req("POST", "/users/{A}/password-changed", "validate key"), notAdmin,
      send("POST", userUrl + "/users/" + a.id + "/password-changed", null, key(validateKey)));

    // a bearer token where a key is required
    check("bearer token instead of a key: verify-credentials", new Req("POST", "/users/verify-credentials", "A's token"), badKey(), send("POST", vc, vcBody, bearer(sa.access)));
    check("bearer token instead of a key: PUT /users/{A}/roles admin", new Req("PUT", "/users/{A}/roles", "A's token"), exp(401, "invalid_api_key").or(403, "forbidden"),
      send("PUT", userUrl + "/users/" + a.id + "/roles", "{\"roles\":[\"user\",\"admin\"]}", bearer(sa.access)));
    check("bearer token instead of a key: GET /users/{A}/password-hash", new Req("GET", "/users/{A}/password-hash", "A's token"), exp(401, "invalid_api_key").or(403, "forbidden"),
      send("GET", userUrl + "/users/" + a.id + "/password-hash", null, bearer(sa.access)));
    check("bearer token instead of a key: sync/user-deleted", new Req("POST", "/auth/sync/user-deleted", "A's token"), badKey(), send("POST", syncDel, syncBody, bearer(sa.access)));
    check("bearer token instead of a key: validate-token", new Req("POST", "/auth/validate-token", "A's token"), badKey(), send("POST", validate, tokenBody, bearer(sa.access)));
    check("access token sent as the X-API-Key", new Req("POST", "/auth/sync/user-deleted", "X-API-Key: <A's token>"), badKey(), send("POST", syncDel, syncBody, key(sa.access)));
    check("A is still not an admin", new Req("GET", "/users/{A}", "full key"),
      exp(200).and("roles [user]", r -> r.body.contains("\"roles\":[\"user\"]") ? null : "roles: " + clip(r.body, 200)),
      send("GET", userUrl + "/users/" + a.id, null, key(fullKey)));
  }

  // ---------------------------------------------------------------- IDOR

  private void idor() {
    group = "idor (ASVS V8)";
    System.out.println("== " + group);
    String userB = userUrl + "/users/" + b.id;
    String[] asA = bearer(sa.access);
    check("A reads B", new Req("GET", "/users/{B}", "A's token"), exp(403, "forbidden"), send("GET", userB, null, asA));
    check("A reads B, id in upper case", new Req("GET", "/users/{B upper}", "A's token"), exp(403, "forbidden").or(404),
      send("GET", userUrl + "/users/" + b.id.toUpperCase(Locale.ROOT), null, asA));
    check("A updates B", new Req("PUT", "/users/{B}", "A's token, displayName"), exp(403, "forbidden"), send("PUT", userB, "{\"displayName\":\"pwned\"}", asA));
    check("A changes B's password", new Req("POST", "/users/{B}/change-password", "A's token"), exp(403, "forbidden"),
      send("POST", userB + "/change-password", "{\"newPassword\":" + js(newPassword()) + "}", asA));
    check("A deletes B", new Req("DELETE", "/users/{B}", "A's token"), exp(403, "forbidden"), send("DELETE", userB, null, asA));
    check("A deletes B's session", new Req("DELETE", "/auth/sessions/{B's session}", "A's token"), exp(404, "session_not_found"),
      send("DELETE", authUrl + "/auth/sessions/" + sb.sessionId, null, asA));
    check("B is unchanged and B's session alive", new Req("GET", "/users/{B}", "B's token"),
      exp(200).and("displayName not pwned", r -> r.body.contains("pwned") ? "B was changed" : null), send("GET", userB, null, bearer(sb.access)));
    check("A's session list shows only A's sessions", new Req("GET", "/auth/sessions", "A's token"),
      exp(200).and("no B session", r -> r.body.contains(sb.sessionId) ? "B's session listed" : null), send("GET", authUrl + "/auth/sessions", null, asA));
    check("A reads a random user id", new Req("GET", "/users/{random uuid}", "A's token"), exp(403, "forbidden").or(404, "user_not_found"),
      send("GET", userUrl + "/users/" + java.util.UUID.randomUUID(), null, asA));
    check("non-UUID id (full key)", new Req("GET", "/users/not-a-uuid", "full key"), exp(404), send("GET", userUrl + "/users/not-a-uuid", null, key(fullKey)));
    check("non-UUID id (user token)", new Req("GET", "/users/not-a-uuid", "A's token"), exp(404).or(403, "forbidden"),
      send("GET", userUrl + "/users/not-a-uuid", null, asA));
    check("non-UUID id (SQL)", new Req("GET", "/users/1%27%20OR%20%271%27=%271", "full key"), exp(404),
      send("GET", userUrl + "/users/1%27%20OR%20%271%27=%271", null, key(fullKey)));
    check("no credentials: GET /users/{A}", new Req("GET", "/users/{A}", "none"), exp(401, "invalid_token", "invalid_api_key"), send("GET", userUrl + "/users/" + a.id, null));
    check("user token: GET /users?search= (admin)", new Req("GET", "/users?search=adv", "A's token"), exp(403, "forbidden"),
      send("GET", userUrl + "/users?search=adv&limit=5", null, asA));
    check("user token: GET /users/by-username/{B}", new Req("GET", "/users/by-username/{B}", "A's token"), exp(403, "forbidden"),
      send("GET", userUrl + "/users/by-username/" + b.username, null, asA));
    check("user token: GET /users/by-email/{B}", new Req("GET", "/users/by-email/{B}", "A's token"), exp(403, "forbidden"),
      send("GET", userUrl + "/users/by-email/" + URLEncoder.encode(b.email, StandardCharsets.UTF_8), null, asA));
    check("user token: GET /admin/password-cache", new Req("GET", "/admin/password-cache", "A's token"), exp(403, "forbidden"),
      send("GET", authUrl + "/admin/password-cache", null, asA));
    check("user token: DELETE /admin/password-cache/{B}", new Req("DELETE", "/admin/password-cache/{B}", "A's token"), exp(403, "forbidden"),
      send("DELETE", authUrl + "/admin/password-cache/" + b.id, null, asA));
    check("user token: POST /admin/password-cache/sync", new Req("POST", "/admin/password-cache/sync", "A's token"), exp(403, "forbidden"),
      send("POST", authUrl + "/admin/password-cache/sync", "{}", asA));
  }

  // ---------------------------------------------------------------- mass assignment

  private void massAssignment() {
    group = "mass assignment (ASVS V15)";
    System.out.println("== " + group);
    Map<String, String> extra = new LinkedHashMap<>();
    extra.put("roles", "[\"user\",\"admin\"]");
    extra.put("id", js("00000000-0000-0000-0000-000000000001"));
    extra.put("passwordHash", js("$2a$04$" + "A".repeat(53)));
    extra.put("emailVerified", "true");
    extra.put("createdAt", js("2000-01-01T00:00:00Z"));
    for (var e : extra.entrySet()) {
      String name = "adv_ma" + e.getKey().length() + e.getKey().charAt(0) + "_" + run;
      String pw = newPassword();
      Resp r = send("POST", userUrl + "/users", "{\"username\":" + js(name) + ",\"email\":" + js(name + "@example.com") + ",\"password\":" + js(pw)
        + "," + js(e.getKey()) + ":" + e.getValue() + "}");
      check("POST /users with " + e.getKey(), new Req("POST", "/users", "+" + e.getKey()), bad400(), r);
    }
    extra.put("username", js("adv_renamed_" + run));
    extra.put("passwordVersion", "0");
    for (var e : extra.entrySet()) {
      Resp r = send("PUT", userUrl + "/users/" + a.id, "{\"displayName\":\"Adv\"," + js(e.getKey()) + ":" + e.getValue() + "}", bearer(sa.access));
      check("PUT /users/{A} with " + e.getKey(), new Req("PUT", "/users/{A}", "+" + e.getKey()), bad400(), r);
    }
    check("login body with roles", new Req("POST", "/auth/login", "+roles"), bad400(),
      send("POST", authUrl + "/auth/login", "{\"login\":" + js(a.username) + ",\"password\":" + js(a.password) + ",\"roles\":[\"admin\"]}"));
    check("A after the attempts: roles [user], same id and username", new Req("GET", "/users/{A}", "full key"),
      exp(200).and("unchanged", r -> r.body.contains("\"roles\":[\"user\"]") && a.id.equals(r.field("id")) && a.username.equals(r.field("username"))
        && !r.body.contains("2000-01-01") ? null : "changed: " + clip(r.body, 300)),
      send("GET", userUrl + "/users/" + a.id, null, key(fullKey)));
  }

  // ---------------------------------------------------------------- Unicode and control bytes

  private void unicode() {
    group = "unicode (ASVS V1/V2)";
    System.out.println("== " + group);
    String users = userUrl + "/users";
    int[] n = {0};
    Function<String, String> reg = field -> {
      n[0]++;
      String u = "adv_u" + n[0] + "_" + run;
      Map<String, String> f = new LinkedHashMap<>();
      f.put("username", js(u));
      f.put("email", js(u + "@example.com"));
      f.put("password", js(newPassword()));
      String[] kv = field.split("=", 2);
      f.put(kv[0], kv[1]);
      StringBuilder b = new StringBuilder("{");
      f.forEach((k, v) -> b.append(b.length() > 1 ? "," : "").append(js(k)).append(':').append(v));
      return b.append('}').toString();
    };
    String r = "adv_" + run;
    Exp v400 = exp(400, "validation_failed", "malformed_request");
    check("NUL in username", new Req("POST", "/users", "\\u0000"), v400, send("POST", users, reg.apply("username=\"adv\\u0000" + r + "\"")));
    check("NUL in email", new Req("POST", "/users", "\\u0000"), v400, send("POST", users, reg.apply("email=\"adv" + r + "\\u0000@example.com\"")));
    check("NUL in password", new Req("POST", "/users", "\\u0000"), exp(400, "validation_failed", "malformed_request", "weak_password"),
      send("POST", users, reg.apply("password=\"Adv-" + hex(8) + "\\u0000-pw\"")));
    check("NUL in displayName", new Req("POST", "/users", "\\u0000"), v400, send("POST", users, reg.apply("displayName=\"Adv\\u0000Adv\"")));
    check("lone surrogate \\ud800 in username", new Req("POST", "/users", "\\ud800"), v400, send("POST", users, reg.apply("username=\"adv\\ud800" + r + "\"")));
    check("lone surrogate \\udc00 in displayName", new Req("POST", "/users", "\\udc00"), v400, send("POST", users, reg.apply("displayName=\"Adv\\udc00\"")));
    check("lone surrogate in password", new Req("POST", "/users", "\\ud800"), exp(400, "validation_failed", "malformed_request", "weak_password"),
      send("POST", users, reg.apply("password=\"Adv-" + hex(8) + "\\ud800-pw\"")));
    check("lone surrogate in login", new Req("POST", "/auth/login", "\\ud800"), exp(400, "validation_failed", "malformed_request").or(401, "invalid_credentials"),
      send("POST", authUrl + "/auth/login", "{\"login\":\"adv\\ud800x\",\"password\":" + js(newPassword()) + "}"));
    check("NUL in login", new Req("POST", "/auth/login", "\\u0000"), exp(400, "validation_failed", "malformed_request").or(401, "invalid_credentials"),
      send("POST", authUrl + "/auth/login", "{\"login\":\"adv\\u0000x\",\"password\":" + js(newPassword()) + "}"));
    check("NUL in verify-credentials login", new Req("POST", "/users/verify-credentials", "\\u0000, full key"),
      exp(400, "validation_failed", "malformed_request").or(401, "invalid_credentials"),
      send("POST", userUrl + "/users/verify-credentials", "{\"login\":\"adv\\u0000x\",\"password\":" + js(newPassword()) + "}", key(fullKey)));
    check("bidi override U+202E in username", new Req("POST", "/users", "U+202E"), exp(400, "validation_failed"), send("POST", users, reg.apply("username=\"adv\u202e" + r + "\"")));
    check("zero-width space U+200B in username", new Req("POST", "/users", "U+200B"), exp(400, "validation_failed"), send("POST", users, reg.apply("username=\"adv\u200b" + r + "\"")));
    check("bidi override U+202E in email", new Req("POST", "/users", "U+202E"), exp(400, "validation_failed"),
      send("POST", users, reg.apply("email=\"adv" + r + "\u202emoc.elpmaxe@example.com\"")));
    check("zero-width joiner U+200D in email", new Req("POST", "/users", "U+200D"), exp(400, "validation_failed"),
      send("POST", users, reg.apply("email=\"adv\u200d" + r + "@example.com\"")));
    check("control character U+0007 in email", new Req("POST", "/users", "\\u0007"), exp(400, "validation_failed"),
      send("POST", users, reg.apply("email=\"adv\\u0007" + r + "@example.com\"")));

    // raw bytes that are not UTF-8
    byte[][] bad = {{(byte) 0xC0, (byte) 0xAF}, {(byte) 0xE0, (byte) 0x80, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xFF, (byte) 0xFE}};
    String[] badNames = {"overlong '/' C0 AF", "overlong '/' E0 80 AF", "UTF-8-encoded surrogate ED A0 80", "bytes FF FE"};
    for (int i = 0; i < bad.length; i++) {
      n[0]++;
      String u = "adv_b" + n[0] + "_";
      byte[] head = ("{\"username\":\"" + u).getBytes(StandardCharsets.UTF_8);
      byte[] tail = (run + "\",\"email\":\"" + u + run + "@example.com\",\"password\":" + js(newPassword()) + "}").getBytes(StandardCharsets.UTF_8);
      byte[] body = new byte[head.length + bad[i].length + tail.length];
      System.arraycopy(head, 0, body, 0, head.length);
      System.arraycopy(bad[i], 0, body, head.length, bad[i].length);
      System.arraycopy(tail, 0, body, head.length + bad[i].length, tail.length);
      check(badNames[i] + " in the raw body", new Req("POST", "/users", "raw bytes"), v400,
        raw(userUrl, "POST", "/users", List.of("Content-Type: application/json"), body, false));
    }
    byte[] loginBody = ("{\"login\":\"adv\u0000\",\"password\":\"x\"}").getBytes(StandardCharsets.UTF_8);
    loginBody[11] = (byte) 0xC0;
    check("overlong byte in a login body", new Req("POST", "/auth/login", "raw bytes C0"), exp(400, "validation_failed", "malformed_request").or(401, "invalid_credentials"),
      raw(authUrl, "POST", "/auth/login", List.of("Content-Type: application/json"), loginBody, false));

    // malformed escapes and NUL in paths and queries (raw: the JDK client refuses to send them)
    List<String> key = List.of("X-API-Key: " + fullKey);
    List<String> asA = List.of("Authorization: Bearer " + sa.access);
    Exp path = exp(404).or(400, "malformed_request", "validation_failed");
    check("GET /users/%zz", new Req("GET", "/users/%zz", "full key"), path, raw(userUrl, "GET", "/users/%zz", key, null, false));
    check("GET /users/%00", new Req("GET", "/users/%00", "full key"), path, raw(userUrl, "GET", "/users/%00", key, null, false));
    check("GET /users/%zz with a user token", new Req("GET", "/users/%zz", "A's token"), path, raw(userUrl, "GET", "/users/%zz", asA, null, false));
    check("GET /users/%", new Req("GET", "/users/%", "full key"), path, raw(userUrl, "GET", "/users/%", key, null, false));
    check("PUT /users/%C0%AF (overlong escape)", new Req("PUT", "/users/%C0%AF", "full key"), path,
      raw(userUrl, "PUT", "/users/%C0%AF", List.of("X-API-Key: " + fullKey, "Content-Type: application/json"), "{}".getBytes(StandardCharsets.UTF_8), false));
    check("GET /users/by-username/%00", new Req("GET", "/users/by-username/%00", "full key"), path, raw(userUrl, "GET", "/users/by-username/%00", key, null, false));
    check("GET /users/by-username/adv%00x", new Req("GET", "/users/by-username/adv%00x", "full key"), path, raw(userUrl, "GET", "/users/by-username/adv%00x", key, null, false));
    check("GET /users/by-email/%zz", new Req("GET", "/users/by-email/%zz", "full key"), path, raw(userUrl, "GET", "/users/by-email/%zz", key, null, false));
    check("GET /users/by-email/a%00@example.com", new Req("GET", "/users/by-email/a%00@example.com", "full key"), path,
      raw(userUrl, "GET", "/users/by-email/a%00@example.com", key, null, false));
    check("DELETE /auth/sessions/%zz", new Req("DELETE", "/auth/sessions/%zz", "A's token"), exp(404, "session_not_found", "not_found").or(400, "malformed_request"),
      raw(authUrl, "DELETE", "/auth/sessions/%zz", asA, null, false));
    check("DELETE /admin/password-cache/%00", new Req("DELETE", "/admin/password-cache/%00", "full key"), exp(404).or(400, "malformed_request", "validation_failed"),
      raw(authUrl, "DELETE", "/admin/password-cache/%00", key, null, false));
    check("GET /auth/%zz", new Req("GET", "/auth/%zz", ""), exp(404, "not_found").or(400, "malformed_request"), raw(authUrl, "GET", "/auth/%zz", List.of(), null, false));
    check("NUL in a query parameter: GET /users?search=a%00b", new Req("GET", "/users?search=a%00b", "full key"), exp(400, "validation_failed", "malformed_request"),
      raw(userUrl, "GET", "/users?search=a%00b&limit=5", key, null, false));
    check("malformed escape in a query: GET /users?search=%zz", new Req("GET", "/users?search=%zz", "full key"), exp(400, "validation_failed", "malformed_request"),
      raw(userUrl, "GET", "/users?search=%zz&limit=5", key, null, false));
    check("NUL in limit: GET /users?limit=%00", new Req("GET", "/users?limit=%00", "full key"), exp(400, "validation_failed", "malformed_request"),
      raw(userUrl, "GET", "/users?search=adv&limit=%00", key, null, false));
    check("NUL in cursor: GET /users?cursor=%00", new Req("GET", "/users?cursor=%00", "full key"), exp(400, "validation_failed", "malformed_request"),
      raw(userUrl, "GET", "/users?search=adv&cursor=%00", key, null, false));
    check("NUL in a query: GET /admin/password-cache?cursor=%00", new Req("GET", "/admin/password-cache?cursor=%00", "full key"), exp(400, "validation_failed", "malformed_request"),
      raw(authUrl, "GET", "/admin/password-cache?cursor=%00", key, null, false));
    check("raw NUL byte in a header value", new Req("GET", "/health/live", "X-Adv: a\\0b"), exp(400),
      rawBytes(host(userUrl), port(userUrl), ("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Adv: a\u0000b\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1)));
  }

  private static String host(String url) {
    return URI.create(url).getHost();
  }

  private static int port(String url) {
    return URI.create(url).getPort();
  }

  // ---------------------------------------------------------------- oversized input

  private void oversized() {
    group = "oversized (ASVS V2/V4)";
    System.out.println("== " + group);
    String users = userUrl + "/users";
    String login = authUrl + "/auth/login";
    Exp tooLarge = exp(413, "payload_too_large");
    check("1 MB username field: POST /users", new Req("POST", "/users", "1 MB field"), tooLarge,
      send("POST", users, "{\"username\":\"" + "a".repeat(1 << 20) + "\",\"email\":\"x@example.com\",\"password\":" + js(newPassword()) + "}"));
    check("1 MB password field: POST /auth/login", new Req("POST", "/auth/login", "1 MB field"), tooLarge,
      send("POST", login, "{\"login\":\"adv\",\"password\":\"" + "p".repeat(1 << 20) + "\"}"));
    check("65 KiB body: POST /auth/login", new Req("POST", "/auth/login", "66,560 bytes"), tooLarge,
      send("POST", login, "{\"login\":\"adv\",\"password\":\"" + "p".repeat(65 * 1024) + "\"}"));
    check("65 KiB body: PUT /users/{A}", new Req("PUT", "/users/{A}", "66,560 bytes"), tooLarge,
      send("PUT", userUrl + "/users/" + a.id, "{\"displayName\":\"" + "d".repeat(65 * 1024) + "\"}", bearer(sa.access)));
    check("1 MB chunked body (no Content-Length): POST /auth/login", new Req("POST", "/auth/login", "raw chunked 1 MB"), tooLarge,
      raw(authUrl, "POST", "/auth/login", List.of("Content-Type: application/json"),
        ("{\"login\":\"adv\",\"password\":\"" + "p".repeat(1 << 20) + "\"}").getBytes(StandardCharsets.UTF_8), true));
    check("1 MB chunked body: POST /users", new Req("POST", "/users", "raw chunked 1 MB"), tooLarge,
      raw(userUrl, "POST", "/users", List.of("Content-Type: application/json"),
        ("{\"username\":\"" + "u".repeat(1 << 20) + "\"}").getBytes(StandardCharsets.UTF_8), true));
    String big = "X-Adv-Pad: " + "h".repeat(20 * 1024);
    check("20 KB header: user service", new Req("GET", "/health/live", "raw 20 KB header"), exp(431),
      raw(userUrl, "GET", "/health/live", List.of(big), null, false));
    check("20 KB header: auth service", new Req("GET", "/auth/me", "raw 20 KB header"), exp(431),
      raw(authUrl, "GET", "/auth/me", List.of(big, "Authorization: Bearer " + sa.access), null, false));
    check("20 KB Authorization header", new Req("GET", "/auth/me", "raw 20 KB bearer"), exp(431),
      raw(authUrl, "GET", "/auth/me", List.of("Authorization: Bearer " + "e".repeat(20 * 1024)), null, false));
    check("20 KB request target", new Req("GET", "/users/aaaa... (20 KB)", ""), exp(414).or(431).or(400).or(404),
      raw(userUrl, "GET", "/users/" + "a".repeat(20 * 1024), List.of(), null, false));
    check("10,000 JSON fields (one name repeated): POST /auth/login", new Req("POST", "/auth/login", "10,000 x \"x\":0"), bad400(),
      send("POST", login, "{\"login\":\"adv\",\"password\":\"p\"" + ",\"x\":0".repeat(10000) + "}"));
    StringBuilder distinct = new StringBuilder("{\"login\":\"adv\",\"password\":\"p\"");
    for (int i = 0; i < 7000; i++) {
      distinct.append(",\"").append(Integer.toString(i, 36)).append("\":0");
    }
    check("7,000 distinct JSON fields (under 64 KiB): POST /users", new Req("POST", "/users", "7,000 fields"), bad400(),
      send("POST", users, distinct.append('}').toString()));
    check("100,000 nested '[': POST /users", new Req("POST", "/users", "100,000 ["), tooLarge, send("POST", users, "[".repeat(100_000)));
    check("60,000 nested '[' (under 64 KiB): POST /users", new Req("POST", "/users", "60,000 ["), bad400(), send("POST", users, "[".repeat(60_000)));
    check("60,000 nested '[' (under 64 KiB): POST /auth/login", new Req("POST", "/auth/login", "60,000 ["), bad400(), send("POST", login, "[".repeat(60_000)));
    check("6,000 nested objects in a field (36 KB): POST /auth/refresh", new Req("POST", "/auth/refresh", "{\"refreshToken\":{\"a\":{...6,000"), bad400(),
      send("POST", authUrl + "/auth/refresh", "{\"refreshToken\":" + "{\"a\":".repeat(6_000) + "1" + "}".repeat(6_000) + "}"));
    check("60 KB username (under 64 KiB)", new Req("POST", "/users", "60 KB username"), exp(400, "validation_failed"),
      send("POST", users, "{\"username\":\"" + "a".repeat(60_000) + "\",\"email\":\"adv60k@example.com\",\"password\":" + js(newPassword()) + "}"));
    check("60 KB login (under 64 KiB)", new Req("POST", "/auth/login", "60 KB login"), exp(400, "validation_failed").or(401, "invalid_credentials"),
      send("POST", login, "{\"login\":\"" + "a".repeat(60_000) + "\",\"password\":" + js(newPassword()) + "}"));
    check("number 1e999999 as a field", new Req("POST", "/auth/sync/password", "passwordVersion 1e999999"), bad400(),
      send("POST", authUrl + "/auth/sync/password", "{\"userId\":" + js(a.id) + ",\"passwordVersion\":1e999999}", key(fullKey)));
    check("limit=99999999999999999999", new Req("GET", "/users?limit=99999999999999999999", "full key"), exp(400, "validation_failed"),
      send("GET", userUrl + "/users?search=adv&limit=99999999999999999999", null, key(fullKey)));
  }

  // ---------------------------------------------------------------- enumeration

  private void enumeration() {
    group = "enumeration (ASVS V6)";
    System.out.println("== " + group);
    String login = authUrl + "/auth/login";
    String unknown = "adv_nobody_" + run;
    String wrong1 = newPassword();
    Resp u = send("POST", login, "{\"login\":" + js(unknown) + ",\"password\":" + js(wrong1) + "}");
    Resp w = send("POST", login, "{\"login\":" + js(b.username) + ",\"password\":" + js(wrong1) + "}");
    parity("login: unknown username vs wrong password", "POST /auth/login", u, w, 401);
    Resp ue = send("POST", login, "{\"login\":" + js(unknown + "@example.com") + ",\"password\":" + js(wrong1) + "}");
    Resp we = send("POST", login, "{\"login\":" + js(b.email) + ",\"password\":" + js(wrong1) + "}");
    parity("login: unknown email vs wrong password", "POST /auth/login", ue, we, 401);
    Resp uv = send("POST", userUrl + "/users/verify-credentials", "{\"login\":" + js(unknown) + ",\"password\":" + js(wrong1) + "}", key(fullKey));
    Resp wv = send("POST", userUrl + "/users/verify-credentials", "{\"login\":" + js(b.username) + ",\"password\":" + js(wrong1) + "}", key(fullKey));
    parity("verify-credentials: unknown vs wrong password", "POST /users/verify-credentials", uv, wv, 401);
    // a success resets B's failure count (the throttling case uses its own user)
    login(b);
    // registration tells a taken email apart: that is the contract (409 email_taken), noted, not a finding
    Resp taken = send("POST", userUrl + "/users", "{\"username\":" + js("adv_other_" + run) + ",\"email\":" + js(b.email) + ",\"password\":" + js(newPassword()) + "}");
    check("NOTE registration with a taken email: 409 email_taken (contract; enumerable by design)", new Req("POST", "/users", "B's email"),
      exp(409, "email_taken"), taken);
    check("registration with a taken username, other case: 409 username_taken", new Req("POST", "/users", "B's username upper case"), exp(409, "username_taken"),
      send("POST", userUrl + "/users", "{\"username\":" + js(b.username.toUpperCase(Locale.ROOT)) + ",\"email\":" + js("adv_x" + run + "@example.com")
        + ",\"password\":" + js(newPassword()) + "}"));
  }

  private static final Set<String> VARYING = Set.of("date", "x-request-id", "content-length");

  private void parity(String name, String req, Resp unknown, Resp wrong, int status) {
    List<String> why = new ArrayList<>();
    why.addAll(hygiene(unknown));
    why.addAll(hygiene(wrong));
    if (unknown.status != status || wrong.status != status) {
      why.add("statuses " + unknown.status + " / " + wrong.status);
    }
    Object bu = withoutRequestId(unknown.json());
    Object bw = withoutRequestId(wrong.json());
    if (bu == null || !bu.equals(bw)) {
      why.add("bodies differ: " + clip(unknown.body, 150) + " vs " + clip(wrong.body, 150));
    }
    Map<String, List<String>> hu = new TreeMap<>(unknown.headers);
    Map<String, List<String>> hw = new TreeMap<>(wrong.headers);
    hu.keySet().removeAll(VARYING);
    hw.keySet().removeAll(VARYING);
    if (!hu.equals(hw)) {
      why.add("headers differ: " + hu + " vs " + hw);
    }
    record(name, status + " both, same body (but requestId) and headers", unknown.got() + " / " + wrong.got(), why,
      req + " -> " + clip(unknown.body, 200) + " | " + clip(wrong.body, 200));
  }

  private static Object withoutRequestId(Object json) {
    if (json instanceof Map<?, ?> m) {
      Map<Object, Object> c = new TreeMap<>();
      m.forEach((k, v) -> {
        if (!"requestId".equals(k)) {
          c.put(k, v);
        }
      });
      return c;
    }
    return json;
  }

  // ---------------------------------------------------------------- throttling

  private void throttling() {
    group = "throttling (ASVS V6)";
    System.out.println("== " + group);
    User v = register("victim");
    String login = authUrl + "/auth/login";
    List<String> statuses = new ArrayList<>();
    List<String> hyg = new ArrayList<>();
    for (int i = 0; i < accountMaxFailures; i++) {
      Resp r = send("POST", login, "{\"login\":" + js(v.username) + ",\"password\":" + js(newPassword()) + "}");
      statuses.add(r.got());
      hyg.addAll(hygiene(r));
    }
    verdict(accountMaxFailures + " wrong passwords: 401 each", accountMaxFailures + "x 401 invalid_credentials", String.join(",", new LinkedHashSet<>(statuses)),
      !hyg.isEmpty() ? String.join("; ", hyg) : statuses.stream().allMatch(s -> s.equals("401 invalid_credentials")) ? null : "other answers",
      "POST /auth/login x" + accountMaxFailures + " -> " + statuses);
    Exp locked = exp(429, "too_many_attempts").and("Retry-After seconds", r -> {
      String ra = r.header("Retry-After");
      return ra != null && ra.matches("[1-9][0-9]*") ? null : "Retry-After " + ra;
    });
    check("the next wrong password: locked", new Req("POST", "/auth/login", "after " + accountMaxFailures + " failures"), locked,
      send("POST", login, "{\"login\":" + js(v.username) + ",\"password\":" + js(newPassword()) + "}"));
    check("the right password while locked: still locked", new Req("POST", "/auth/login", "right password"), locked,
      send("POST", login, "{\"login\":" + js(v.username) + ",\"password\":" + js(v.password) + "}"));
    check("the email as login while locked: locked too", new Req("POST", "/auth/login", "email, right password"), locked,
      send("POST", login, "{\"login\":" + js(v.email.toUpperCase(Locale.ROOT)) + ",\"password\":" + js(v.password) + "}"));
  }

  // ---------------------------------------------------------------- HTTP basics

  private void httpBasics() {
    group = "http (ASVS V4/V16)";
    System.out.println("== " + group);
    check("unknown path: user", new Req("GET", "/nope", ""), exp(404, "not_found"), send("GET", userUrl + "/nope", null));
    check("unknown path: auth", new Req("GET", "/nope", ""), exp(404, "not_found"), send("GET", authUrl + "/nope", null));
    check("wrong method: DELETE /auth/login", new Req("DELETE", "/auth/login", ""), exp(405, "method_not_allowed"), send("DELETE", authUrl + "/auth/login", null));
    check("wrong method: PATCH /users", new Req("PATCH", "/users", ""), exp(405, "method_not_allowed"), send("PATCH", userUrl + "/users", "{}"));
    check("TRACE does not echo the request", new Req("TRACE", "/health/live", "X-API-Key"), exp(405, "method_not_allowed").or(404, "not_found").or(400),
      send("TRACE", userUrl + "/health/live", null, key(fullKey)));
    check("malformed JSON: POST /auth/login", new Req("POST", "/auth/login", "{\"login\":"), exp(400, "malformed_request"), send("POST", authUrl + "/auth/login", "{\"login\":"));
    check("JSON array: POST /users", new Req("POST", "/users", "[]"), bad400(), send("POST", userUrl + "/users", "[]"));
    check("empty body: POST /users", new Req("POST", "/users", "empty"), bad400(), send("POST", userUrl + "/users", ""));
    check("JSON null: POST /auth/refresh", new Req("POST", "/auth/refresh", "null"), bad400(), send("POST", authUrl + "/auth/refresh", "null"));
    check("text/plain body: POST /auth/login", new Req("POST", "/auth/login", "Content-Type: text/plain"), exp(400, "malformed_request", "validation_failed").or(415),
      send("POST", authUrl + "/auth/login", "login=adv&password=x", "Content-Type", "text/plain"));
    check("duplicate JSON key (login twice)", new Req("POST", "/auth/login", "{login:B, login:A}"),
      exp(400, "malformed_request", "validation_failed").or(401, "invalid_credentials"),
      send("POST", authUrl + "/auth/login", "{\"login\":" + js(b.username) + ",\"login\":" + js(a.username) + ",\"password\":" + js(newPassword()) + "}"));
    check("Content-Length larger than the body (connection closed)", new Req("POST", "/auth/login", "raw: Content-Length 100, 5 bytes"), exp(400).or(408).or(413),
      rawLying());
  }

  /** Declares 100 bytes, sends 5, half-closes: the server must not hang or fail with a 5xx. */
  private Resp rawLying() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host(authUrl), port(authUrl)), 5000);
      s.setSoTimeout(8000);
      s.getOutputStream().write(("POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":").getBytes(StandardCharsets.ISO_8859_1));
      s.shutdownOutput();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buf = new byte[4096];
      try {
        for (int n; (n = s.getInputStream().read(buf)) > 0; ) {
          got.write(buf, 0, n);
        }
      } catch (IOException e) {
        // a timeout or reset: judged by what came
      }
      if (got.size() == 0) {
        // closing an incomplete request without an answer is fine: count it as a 400-class outcome
        return new Resp(400, Map.of("content-type", List.of("application/problem+json")), "{\"code\":\"(connection closed without an answer)\"}", null);
      }
      return parseRaw(got.toByteArray(), null);
    } catch (IOException e) {
      return new Resp(0, Map.of(), "", e.toString());
    }
  }

  // ---------------------------------------------------------------- account lifecycle (second release)

  /** A token link found in a mail: the link as sent and its token. */
  record MailLink(String url, String token) {
  }

  private static final Pattern TOKEN_LINK = Pattern.compile("https?://[^\\s\"'<>]*?[?#&]token=([A-Za-z0-9_-]+)");

  /** The messages the development mail server holds for {@code address} (To, Cc or envelope), in arrival order. */
  @SuppressWarnings("unchecked")
  private List<Map<String, Object>> mailsTo(String address) {
    Resp r = send("GET", mailApi + "/email", null);
    if (r.status != 200 || !(r.json() instanceof List<?> all)) {
      throw new IllegalStateException("the mail API " + mailApi + " answered " + r.got());
    }
    String want = address.toLowerCase(Locale.ROOT);
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object o : all) {
      if (o instanceof Map<?, ?> m) {
        Set<String> to = new HashSet<>();
        addresses(m.get("to"), to);
        addresses(m.get("cc"), to);
        if (m.get("envelope") instanceof Map<?, ?> env) {
          addresses(env.get("to"), to);
        }
        if (to.contains(want)) {
          out.add((Map<String, Object>) m);
        }
      }
    }
    return out;
  }

  private static void addresses(Object v, Set<String> into) {
    if (v instanceof List<?> l) {
      l.forEach(x -> addresses(x, into));
    } else if (v instanceof Map<?, ?> a && a.get("address") instanceof String s) {
      into.add(s.toLowerCase(Locale.ROOT));
    }
  }

  /** The link of {@code m} whose part before the token says {@code word} ("verif", "reset"), or its first link when the subject does. */
  private static MailLink linkOf(Map<String, Object> m, String word) {
    String text = (m.get("text") instanceof String t ? t : "") + "\n" + (m.get("html") instanceof String h ? h.replace("&amp;", "&") : "");
    List<MailLink> links = new ArrayList<>();
    Matcher x = TOKEN_LINK.matcher(text);
    while (x.find()) {
      links.add(new MailLink(x.group(), x.group(1)));
    }
    for (MailLink l : links) {
      if (l.url.substring(0, l.url.length() - l.token.length()).toLowerCase(Locale.ROOT).contains(word)) {
        return l;
      }
    }
    String subject = m.get("subject") instanceof String s ? s.toLowerCase(Locale.ROOT) : "";
    return subject.contains(word) && !links.isEmpty() ? links.get(0) : null;
  }

  /** How many mails with a {@code word} link went to {@code address}. */
  private int mailCount(String address, String word) {
    return (int) mailsTo(address).stream().filter(m -> linkOf(m, word) != null).count();
  }

  /**
   * Waits (20 s at most) for a mail with a {@code word} link to {@code address} beyond its first
   * {@code after} such mails, and returns the newest one's link (its token kept as a secret of
   * {@code kind} for the log scan); a case records whether it came. Null when none came.
   */
  private MailLink mailLink(String name, String address, String word, int after, String kind) {
    long deadline = System.currentTimeMillis() + 20_000;
    String error = null;
    while (true) {
      try {
        List<MailLink> found = new ArrayList<>();
        for (Map<String, Object> m : mailsTo(address)) {
          MailLink l = linkOf(m, word);
          if (l != null) {
            found.add(l);
          }
        }
        if (found.size() > after) {
          MailLink newest = found.get(found.size() - 1);
          secret(kind, newest.token);
          verdict(name, "a mail with a token link", "came (" + newest.token.length() + "-character token)", null, "");
          return newest;
        }
      } catch (RuntimeException e) {
        error = e.getMessage();
      }
      if (System.currentTimeMillis() > deadline) {
        verdict(name, "a mail with a token link", "none in 20 s", error != null ? error : "no " + word + " mail to " + address + " beyond " + after,
          "GET " + mailApi + "/email");
        return null;
      }
      sleep(150);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String tokenOf(MailLink l) {
    return l == null ? "no-token-arrived-" + "x".repeat(26) : l.token;
  }

  /** 43 characters of base64url that no mail carried. */
  private String madeUpToken(String kind) {
    byte[] b = new byte[32];
    random.nextBytes(b);
    String t = B64.encodeToString(b);
    secret(kind, t);
    return t;
  }

  private static Exp userWith(String what, Function<Map<?, ?>, Boolean> test) {
    return exp(200).and(what, r -> r.json() instanceof Map<?, ?> m && test.apply(m) ? null : "body " + clip(r.body, 200));
  }

  private void lifecycle() {
    if (mailApi.isEmpty()) {
      group = "mail tokens (ASVS V6)";
      verdict("the mail API is known (--mail-api)", "given", "missing", "no --mail-api: the lifecycle cases need the development mail server", "");
      return;
    }
    mailTokens();
    passwordReset();
    lifecycleAccess();
  }

  // ---- tokens sent by mail: shapes, single use, purpose, retirement

  private void mailTokens() {
    group = "mail tokens (ASVS V6)";
    System.out.println("== " + group);
    String verify = userUrl + "/users/verify-email";
    String confirm = userUrl + "/users/password-reset/confirm";
    Exp badVerify = exp(400, "invalid_verification_token");
    Exp badReset = exp(400, "invalid_reset_token");
    // control characters and lone surrogates are broken text, refused like in every string field
    // of every body (400 validation_failed naming the field) before any token lookup
    Exp brokenVerify = exp(400, "validation_failed");
    Exp brokenReset = exp(400, "validation_failed");
    String pw = newPassword();

    Map<String, String> shapes = new LinkedHashMap<>();
    shapes.put("made-up (43 base64url characters)", js(madeUpToken("made-up-mail-token")));
    shapes.put("empty string", "\"\"");
    shapes.put("10,000 characters", js("A".repeat(10_000)));
    shapes.put("non-ASCII (43 characters)", js("\u00e9".repeat(21) + "\u4e2d".repeat(21) + "\u00df"));
    shapes.put("emoji (astral plane)", js("\ud83d\udd11".repeat(20)));
    shapes.put("SQL injection", js("' OR '1'='1' -- "));
    shapes.put("LIKE wildcard", js("%"));
    for (var e : shapes.entrySet()) {
      check("verify-email: " + e.getKey() + " token", new Req("POST", "/users/verify-email", e.getKey()), badVerify,
        send("POST", verify, "{\"token\":" + e.getValue() + "}"));
      check("reset confirm: " + e.getKey() + " token", new Req("POST", "/users/password-reset/confirm", e.getKey()), badReset,
        send("POST", confirm, "{\"token\":" + e.getValue() + ",\"newPassword\":" + js(pw) + "}"));
    }
    Map<String, String> broken = new LinkedHashMap<>();
    broken.put("NUL in the token", "\"" + "A".repeat(21) + "\\u0000" + "A".repeat(21) + "\"");
    broken.put("CR LF in the token", "\"" + "A".repeat(20) + "\\r\\n" + "A".repeat(21) + "\"");
    broken.put("lone surrogate in the token", "\"" + "A".repeat(21) + "\\ud800" + "A".repeat(21) + "\"");
    for (var e : broken.entrySet()) {
      check("verify-email: " + e.getKey(), new Req("POST", "/users/verify-email", e.getKey()), brokenVerify,
        send("POST", verify, "{\"token\":" + e.getValue() + "}"));
      check("reset confirm: " + e.getKey(), new Req("POST", "/users/password-reset/confirm", e.getKey()), brokenReset,
        send("POST", confirm, "{\"token\":" + e.getValue() + ",\"newPassword\":" + js(pw) + "}"));
    }
    Map<String, String> types = new LinkedHashMap<>();
    types.put("a number", "12345");
    types.put("true", "true");
    types.put("an object", "{\"token\":\"x\"}");
    types.put("an array", "[" + js(madeUpToken("made-up-mail-token")) + "]");
    for (var e : types.entrySet()) {
      check("verify-email: token as " + e.getKey(), new Req("POST", "/users/verify-email", "token: " + e.getKey()), exp(400, "malformed_request"),
        send("POST", verify, "{\"token\":" + e.getValue() + "}"));
      check("reset confirm: token as " + e.getKey(), new Req("POST", "/users/password-reset/confirm", "token: " + e.getKey()), exp(400, "malformed_request"),
        send("POST", confirm, "{\"token\":" + e.getValue() + ",\"newPassword\":" + js(pw) + "}"));
    }
    check("verify-email: token null", new Req("POST", "/users/verify-email", "{token: null}"), exp(400, "validation_failed"),
      send("POST", verify, "{\"token\":null}"));
    check("verify-email: no token ({})", new Req("POST", "/users/verify-email", "{}"), exp(400, "validation_failed"), send("POST", verify, "{}"));
    check("verify-email: extra field (userId)", new Req("POST", "/users/verify-email", "+userId"), exp(400, "validation_failed"),
      send("POST", verify, "{\"token\":" + js(madeUpToken("made-up-mail-token")) + ",\"userId\":" + js(a.id) + "}"));
    check("verify-email: body a JSON array", new Req("POST", "/users/verify-email", "[token]"), exp(400, "malformed_request"),
      send("POST", verify, "[" + js(madeUpToken("made-up-mail-token")) + "]"));
    check("verify-email: no body", new Req("POST", "/users/verify-email", "empty"), exp(400, "malformed_request"), send("POST", verify, ""));
    check("reset confirm: token null", new Req("POST", "/users/password-reset/confirm", "{token: null}"), exp(400, "validation_failed"),
      send("POST", confirm, "{\"token\":null,\"newPassword\":" + js(pw) + "}"));
    check("reset confirm: no newPassword", new Req("POST", "/users/password-reset/confirm", "{token}"), exp(400, "validation_failed"),
      send("POST", confirm, "{\"token\":" + js(madeUpToken("made-up-mail-token")) + "}"));
    check("reset confirm: newPassword as a number", new Req("POST", "/users/password-reset/confirm", "newPassword: 1"), exp(400, "malformed_request"),
      send("POST", confirm, "{\"token\":" + js(madeUpToken("made-up-mail-token")) + ",\"newPassword\":12345678}"));
    check("reset confirm: extra field (userId)", new Req("POST", "/users/password-reset/confirm", "+userId"), exp(400, "validation_failed"),
      send("POST", confirm, "{\"token\":" + js(madeUpToken("made-up-mail-token")) + ",\"newPassword\":" + js(pw) + ",\"userId\":" + js(a.id) + "}"));
    check("reset confirm: extra field (email)", new Req("POST", "/users/password-reset/confirm", "+email"), exp(400, "validation_failed"),
      send("POST", confirm, "{\"token\":" + js(madeUpToken("made-up-mail-token")) + ",\"newPassword\":" + js(pw) + ",\"email\":\"adv-attacker@evil.example\"}"));
    check("reset confirm: token in the query string, not the body", new Req("POST", "/users/password-reset/confirm?token=<made-up>", "{newPassword}"),
      exp(400, "validation_failed"),
      send("POST", confirm + "?token=" + madeUpToken("made-up-mail-token"), "{\"newPassword\":" + js(pw) + "}"));

    // a real verification token (the registration mail): variants of it, the other purpose, single use
    User l = register("life");
    MailLink v = mailLink("registration mails a verification link", l.email, "verif", 0, "verification-token");
    String tv = tokenOf(v);
    check("verification token minus its last character", new Req("POST", "/users/verify-email", "real token, truncated"), badVerify,
      send("POST", verify, "{\"token\":" + js(tv.substring(0, tv.length() - 1)) + "}"));
    check("verification token plus one character", new Req("POST", "/users/verify-email", "real token + 'A'"), badVerify,
      send("POST", verify, "{\"token\":" + js(tv + "A") + "}"));
    check("verification token in upper case", new Req("POST", "/users/verify-email", "real token, upper case"), badVerify,
      send("POST", verify, "{\"token\":" + js(tv.toUpperCase(Locale.ROOT)) + "}"));
    check("verification token with spaces around it", new Req("POST", "/users/verify-email", "' <token> '"), badVerify,
      send("POST", verify, "{\"token\":" + js(" " + tv + " ") + "}"));
    check("verification token presented to reset confirm", new Req("POST", "/users/password-reset/confirm", "real verification token"), badReset,
      send("POST", confirm, "{\"token\":" + js(tv) + ",\"newPassword\":" + js(newPassword()) + "}"));
    check("control: L's login still takes the old password", new Req("POST", "/auth/login", "after the purpose confusion"), exp(200),
      send("POST", authUrl + "/auth/login", "{\"login\":" + js(l.username) + ",\"password\":" + js(l.password) + "}"));
    check("control: the verification token verifies", new Req("POST", "/users/verify-email", "real token"),
      userWith("emailVerified true", m -> Boolean.TRUE.equals(m.get("emailVerified")) && l.id.equals(m.get("id"))),
      send("POST", verify, "{\"token\":" + js(tv) + "}"));
    check("the verification token a second time", new Req("POST", "/users/verify-email", "used token"), badVerify,
      send("POST", verify, "{\"token\":" + js(tv) + "}"));
    Session sl = login(l);
    check("verify-email/send once verified: 409", new Req("POST", "/users/{L}/verify-email/send", "L's token"), exp(409, "email_already_verified"),
      send("POST", userUrl + "/users/" + l.id + "/verify-email/send", null, bearer(sl.access)));

    // an email change retires what went to the old address: its verification and reset tokens
    User m = register("mover");
    MailLink mv = mailLink("the mover's registration mails a verification link", m.email, "verif", 0, "verification-token");
    int resetsBefore = mailCount(m.email, "reset");
    check("control: reset request for the mover", new Req("POST", "/users/password-reset", "mover's address"), exp(202),
      send("POST", userUrl + "/users/password-reset", "{\"email\":" + js(m.email) + "}"));
    MailLink mr = mailLink("the mover's reset request mails a reset link", m.email, "reset", resetsBefore, "reset-token");
    Session sm = login(m);
    String moved = "adv_moved_" + run + "@example.com";
    check("control: own email change with currentPassword", new Req("PUT", "/users/{M}", "email + currentPassword"),
      userWith("new email, unverified", x -> moved.equals(x.get("email")) && Boolean.FALSE.equals(x.get("emailVerified"))),
      send("PUT", userUrl + "/users/" + m.id, "{\"email\":" + js(moved) + ",\"currentPassword\":" + js(m.password) + "}", bearer(sm.access)));
    check("verification token for the old address after an email change", new Req("POST", "/users/verify-email", "old address's token"), badVerify,
      send("POST", verify, "{\"token\":" + js(tokenOf(mv)) + "}"));
    check("reset token mailed to the old address after an email change", new Req("POST", "/users/password-reset/confirm", "old address's token"), badReset,
      send("POST", confirm, "{\"token\":" + js(tokenOf(mr)) + ",\"newPassword\":" + js(newPassword()) + "}"));
    check("control: the mover's password is unchanged", new Req("POST", "/auth/login", "mover, old password, new email"), exp(200),
      send("POST", authUrl + "/auth/login", "{\"login\":" + js(moved) + ",\"password\":" + js(m.password) + "}"));
    lifecycleUser = l;
    lifecycleSession = sl;
  }

  private User lifecycleUser;
  private Session lifecycleSession;

  // ---- password reset: enumeration parity, address validation, limits, a stolen token

  private void passwordReset() {
    group = "password reset (ASVS V6)";
    System.out.println("== " + group);
    String reset = userUrl + "/users/password-reset";
    String confirm = userUrl + "/users/password-reset/confirm";
    String nobody = "adv_nobody_" + run + "@example.com";
    String attacker = "adv-attacker-" + run + "@evil.example";

    Resp known = send("POST", reset, "{\"email\":" + js(b.email) + "}");
    Resp unknown = send("POST", reset, "{\"email\":" + js(nobody) + "}");
    parity("reset request: registered vs unregistered address", "POST /users/password-reset", unknown, known, 202);
    Resp knownUpper = send("POST", reset, "{\"email\":" + js(b.email.toUpperCase(Locale.ROOT)) + "}");
    Resp unknownUpper = send("POST", reset, "{\"email\":" + js(nobody.toUpperCase(Locale.ROOT)) + "}");
    parity("reset request: the same in upper case", "POST /users/password-reset", unknownUpper, knownUpper, 202);
    check("reset request body shows no token and no user", new Req("POST", "/users/password-reset", "B's address"),
      exp(202).and("only a message", r -> r.json() instanceof Map<?, ?> mm && mm.keySet().equals(Set.of("message")) ? null : "body " + clip(r.body, 200)), known);

    Exp invalidAddress = exp(400, "validation_failed");
    Map<String, String> bad = new LinkedHashMap<>();
    bad.put("not an address", js("not-an-address"));
    bad.put("empty string", "\"\"");
    bad.put("two addresses, comma", js(b.email + "," + attacker));
    bad.put("two addresses, semicolon", js(b.email + ";" + attacker));
    bad.put("CR LF + Bcc header (SMTP injection)", js(b.email + "\r\nBcc: " + attacker));
    bad.put("LF + RCPT TO (SMTP injection)", js(b.email + "\nRCPT TO:<" + attacker + ">"));
    bad.put("NUL after the address", "\"" + b.email + "\\u0000" + attacker + "\"");
    bad.put("zero-width space in the address", js("adv\u200b" + b.email));
    bad.put("300 characters", js("a".repeat(288) + "@example.com"));
    bad.put("display-name form", js("Adv <" + b.email + ">"));
    for (var e : bad.entrySet()) {
      check("reset request: " + e.getKey(), new Req("POST", "/users/password-reset", e.getKey()), invalidAddress,
        send("POST", reset, "{\"email\":" + e.getValue() + "}"));
    }
    check("reset request: email null", new Req("POST", "/users/password-reset", "{email: null}"), exp(400, "validation_failed"),
      send("POST", reset, "{\"email\":null}"));
    check("reset request: no email ({})", new Req("POST", "/users/password-reset", "{}"), exp(400, "validation_failed"), send("POST", reset, "{}"));
    check("reset request: email as a number", new Req("POST", "/users/password-reset", "email: 1"), exp(400, "malformed_request"),
      send("POST", reset, "{\"email\":1}"));
    check("reset request: email as an array (victim, attacker)", new Req("POST", "/users/password-reset", "[victim, attacker]"), exp(400, "malformed_request"),
      send("POST", reset, "{\"email\":[" + js(b.email) + "," + js(attacker) + "]}"));
    check("reset request: extra field (redirectUrl)", new Req("POST", "/users/password-reset", "+redirectUrl"), exp(400, "validation_failed"),
      send("POST", reset, "{\"email\":" + js(b.email) + ",\"redirectUrl\":\"https://evil.example/reset\"}"));
    check("reset request: extra field (username)", new Req("POST", "/users/password-reset", "+username"), exp(400, "validation_failed"),
      send("POST", reset, "{\"email\":" + js(b.email) + ",\"username\":" + js(b.username) + "}"));
    check("reset request: body a JSON array", new Req("POST", "/users/password-reset", "[email]"), exp(400, "malformed_request"),
      send("POST", reset, "[" + js(b.email) + "]"));

    // over the per-address limit: the same 202, and no more mails
    User r = register("limit");
    List<Resp> answers = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      answers.add(send("POST", reset, "{\"email\":" + js(r.email) + "}"));
    }
    parity("reset request: 1st vs 5th for one address (over the limit)", "POST /users/password-reset", answers.get(0), answers.get(4), 202);
    parity("reset request: 4th (over the limit) vs an unregistered address", "POST /users/password-reset", unknown, answers.get(3), 202);

    // a stolen access token cannot point the account's mail elsewhere; wrong passwords count
    User l = lifecycleUser;
    Session sl = lifecycleSession;
    String userL = userUrl + "/users/" + l.id;
    check("stolen token: email change without currentPassword", new Req("PUT", "/users/{L}", "L's token, attacker's email"),
      exp(403, "invalid_current_password"), send("PUT", userL, "{\"email\":" + js(attacker) + "}", bearer(sl.access)));
    check("stolen token: email + displayName without currentPassword", new Req("PUT", "/users/{L}", "L's token, email + displayName"),
      exp(403, "invalid_current_password"), send("PUT", userL, "{\"email\":" + js(attacker) + ",\"displayName\":\"pwned\"}", bearer(sl.access)));
    check("stolen token: currentPassword null", new Req("PUT", "/users/{L}", "currentPassword: null"),
      exp(403, "invalid_current_password"), send("PUT", userL, "{\"email\":" + js(attacker) + ",\"currentPassword\":null}", bearer(sl.access)));
    check("stolen token: currentPassword as a number", new Req("PUT", "/users/{L}", "currentPassword: 1"), exp(400, "malformed_request"),
      send("PUT", userL, "{\"email\":" + js(attacker) + ",\"currentPassword\":1}", bearer(sl.access)));
    List<String> statuses = new ArrayList<>();
    List<String> hyg = new ArrayList<>();
    for (int i = 0; i < accountMaxFailures; i++) {
      Resp w = send("PUT", userL, "{\"email\":" + js(attacker) + ",\"currentPassword\":" + js(newPassword()) + "}", bearer(sl.access));
      statuses.add(w.got());
      hyg.addAll(hygiene(w));
    }
    verdict("stolen token: " + accountMaxFailures + " wrong currentPasswords: 403 each", "403 invalid_current_password each",
      String.join(",", new LinkedHashSet<>(statuses)),
      !hyg.isEmpty() ? String.join("; ", hyg) : statuses.stream().allMatch(s -> s.equals("403 invalid_current_password")) ? null : "other answers",
      "PUT /users/{L} x" + accountMaxFailures + " -> " + statuses);
    check("after " + accountMaxFailures + " wrong currentPasswords the login is locked", new Req("POST", "/auth/login", "L, right password"),
      exp(429, "too_many_attempts"), send("POST", authUrl + "/auth/login", "{\"login\":" + js(l.username) + ",\"password\":" + js(l.password) + "}"));
    check("while locked, the right currentPassword changes no email", new Req("PUT", "/users/{L}", "right currentPassword, locked"),
      exp(429, "too_many_attempts").or(403, "invalid_current_password"),
      send("PUT", userL, "{\"email\":" + js(attacker) + ",\"currentPassword\":" + js(l.password) + "}", bearer(sl.access)));
    check("L's email and displayName are unchanged", new Req("GET", "/users/{L}", "full key"),
      userWith("original email, no pwned", x -> l.email.equals(x.get("email")) && !"pwned".equals(x.get("displayName"))),
      send("GET", userL, null, key(fullKey)));
    check("control: displayName alone needs no currentPassword", new Req("PUT", "/users/{L}", "displayName only"),
      userWith("displayName changed", x -> "Adv Life".equals(x.get("displayName"))),
      send("PUT", userL, "{\"displayName\":\"Adv Life\"}", bearer(sl.access)));

    // the reset: a Host header of the attacker's does not steer the link; a newer token retires the older
    int before = mailCount(l.email, "reset");
    String body = "{\"email\":" + js(l.email) + "}";
    Resp poisoned = rawBytes(host(userUrl), port(userUrl), ("POST /users/password-reset HTTP/1.1\r\nHost: evil.example\r\n"
      + "X-Forwarded-Host: evil.example\r\nX-Forwarded-Proto: https\r\nForwarded: host=evil.example;proto=https\r\n"
      + "Content-Type: application/json\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\nConnection: close\r\n\r\n" + body)
      .getBytes(StandardCharsets.UTF_8));
    check("reset request with Host / X-Forwarded-Host: evil.example", new Req("POST", "/users/password-reset", "raw: Host evil.example"), exp(202), poisoned);
    MailLink r1 = mailLink("the reset mail for L came", l.email, "reset", before, "reset-token");
    verdict("the reset link ignores the request's Host and X-Forwarded-Host", "no evil.example in the link", r1 == null ? "no mail" : clip(r1.url.replace(r1.token, "<token>"), 80),
      r1 == null ? "no mail" : r1.url.toLowerCase(Locale.ROOT).contains("evil.example") ? "the link points at the attacker's host" : null,
      r1 == null ? "" : r1.url.replace(r1.token, "<token>"));
    check("control: a second reset request", new Req("POST", "/users/password-reset", "L's address"), exp(202), send("POST", reset, body));
    MailLink r2 = mailLink("the second reset mail for L came", l.email, "reset", before + 1, "reset-token");
    String t1 = tokenOf(r1);
    String t2 = tokenOf(r2);
    check("reset token presented to verify-email", new Req("POST", "/users/verify-email", "real reset token"), exp(400, "invalid_verification_token"),
      send("POST", userUrl + "/users/verify-email", "{\"token\":" + js(t2) + "}"));
    check("the older reset token after a newer one was mailed", new Req("POST", "/users/password-reset/confirm", "retired token"), exp(400, "invalid_reset_token"),
      send("POST", confirm, "{\"token\":" + js(t1) + ",\"newPassword\":" + js(newPassword()) + "}"));
    check("reset token minus its last character", new Req("POST", "/users/password-reset/confirm", "real token, truncated"), exp(400, "invalid_reset_token"),
      send("POST", confirm, "{\"token\":" + js(t2.substring(0, t2.length() - 1)) + ",\"newPassword\":" + js(newPassword()) + "}"));
    check("reset token with a common password", new Req("POST", "/users/password-reset/confirm", "newPassword 'password'"), exp(400, "weak_password"),
      send("POST", confirm, "{\"token\":" + js(t2) + ",\"newPassword\":\"password\"}"));
    String fresh = newPassword();
    check("control: the reset token resets (after the weak try)", new Req("POST", "/users/password-reset/confirm", "real token"), exp(204),
      send("POST", confirm, "{\"token\":" + js(t2) + ",\"newPassword\":" + js(fresh) + "}"));
    check("the reset token a second time", new Req("POST", "/users/password-reset/confirm", "used token"), exp(400, "invalid_reset_token"),
      send("POST", confirm, "{\"token\":" + js(t2) + ",\"newPassword\":" + js(newPassword()) + "}"));
    check("after the reset: the stolen access token -> user GET /users/{L}", new Req("GET", "/users/{L}", "L's old token"), badToken(),
      send("GET", userL, null, bearer(sl.access)));
    check("after the reset: the stolen access token -> auth /auth/me", new Req("GET", "/auth/me", "L's old token"), badToken(),
      send("GET", authUrl + "/auth/me", null, bearer(sl.access)));
    check("after the reset: the stolen refresh token", new Req("POST", "/auth/refresh", "L's old refresh token"), exp(401, "invalid_refresh_token"),
      refresh(sl.refresh));
    check("after the reset: the old password", new Req("POST", "/auth/login", "L, old password"), exp(401, "invalid_credentials"),
      send("POST", authUrl + "/auth/login", "{\"login\":" + js(l.username) + ",\"password\":" + js(l.password) + "}"));
    check("after the reset: the new password (lockout cleared)", new Req("POST", "/auth/login", "L, new password"), exp(200),
      send("POST", authUrl + "/auth/login", "{\"login\":" + js(l.username) + ",\"password\":" + js(fresh) + "}"));

    // the mails that must not exist: none to the attacker, at most 3 reset mails for one address
    MailLink limited = mailLink("reset mails for the limited address came", r.email, "reset", 2, "reset-token");
    if (limited != null) {
      sleep(500);   // requests over the limit write no mail row at all: a short look for a 4th suffices
    }
    int count = mailCount(r.email, "reset");
    verdict("5 reset requests for one address: 3 mails (the limit)", "3 mails", count + " mails", count == 3 ? null : "limit not applied", "");
    int toAttacker = mailsTo(attacker).size();
    verdict("no mail to the attacker's address (injections, stolen token)", "0 mails", toAttacker + " mails",
      toAttacker == 0 ? null : "mail reached " + attacker, "");
  }

  // ---- who may send verification mails and disable or enable accounts

  private void lifecycleAccess() {
    group = "lifecycle authz (ASVS V8)";
    System.out.println("== " + group);
    String[] asA = bearer(sa.access);
    String wrong = "adv-wrong-" + hex(8);
    secret("wrong-key", wrong);
    User v = register("verify");
    Session sv = login(v);
    String send = userUrl + "/users/" + v.id + "/verify-email/send";
    check("verify-email/send: A on V's account", new Req("POST", "/users/{V}/verify-email/send", "A's token"), exp(403, "forbidden"),
      send("POST", send, null, asA));
    check("verify-email/send: no credentials", new Req("POST", "/users/{V}/verify-email/send", "none"), badToken(), send("POST", send, null));
    check("verify-email/send: validate-only key", new Req("POST", "/users/{V}/verify-email/send", "validate key"), badKey(),
      send("POST", send, null, key(validateKey)));
    check("verify-email/send: wrong key", new Req("POST", "/users/{V}/verify-email/send", "wrong key"), badKey(), send("POST", send, null, key(wrong)));
    check("verify-email/send: forged token (alg none)", new Req("POST", "/users/{V}/verify-email/send", "alg none"), badToken(),
      send("POST", send, null, bearer(b64("{\"alg\":\"none\"}") + "." + sv.access.split("\\.")[1] + ".")));
    check("verify-email/send: id not a UUID (full key)", new Req("POST", "/users/not-a-uuid/verify-email/send", "full key"), exp(404, "user_not_found"),
      send("POST", userUrl + "/users/not-a-uuid/verify-email/send", null, key(fullKey)));
    check("verify-email/send: unknown id (full key)", new Req("POST", "/users/{random}/verify-email/send", "full key"), exp(404, "user_not_found"),
      send("POST", userUrl + "/users/" + java.util.UUID.randomUUID() + "/verify-email/send", null, key(fullKey)));
    check("verify-email/send: body naming another address", new Req("POST", "/users/{V}/verify-email/send", "{email: attacker}"), exp(400, "validation_failed"),
      send("POST", send, "{\"email\":\"adv-attacker-" + run + "@evil.example\"}", bearer(sv.access)));
    check("verify-email/send: body a JSON array", new Req("POST", "/users/{V}/verify-email/send", "[]"), exp(400, "malformed_request"),
      send("POST", send, "[]", bearer(sv.access)));
    MailLink first = mailLink("V's registration mails a verification link", v.email, "verif", 0, "verification-token");
    Exp queued = exp(202).and("no token in the answer", r -> first != null && r.body.contains(first.token) ? "token in the body" : null);
    check("verify-email/send: own, no body (1 of 3)", new Req("POST", "/users/{V}/verify-email/send", "V's token"), queued, send("POST", send, null, bearer(sv.access)));
    check("verify-email/send: own, {} (2 of 3)", new Req("POST", "/users/{V}/verify-email/send", "V's token, {}"), queued, send("POST", send, "{}", bearer(sv.access)));
    check("verify-email/send: own (3 of 3)", new Req("POST", "/users/{V}/verify-email/send", "V's token"), queued, send("POST", send, null, bearer(sv.access)));
    check("verify-email/send: a 4th within the hour", new Req("POST", "/users/{V}/verify-email/send", "V's token"),
      exp(429, "too_many_requests").and("Retry-After seconds", r -> {
        String ra = r.header("Retry-After");
        return ra != null && ra.matches("[1-9][0-9]*") ? null : "Retry-After " + ra;
      }), send("POST", send, null, bearer(sv.access)));
    check("the registration's verification token after newer sends", new Req("POST", "/users/verify-email", "retired token"),
      exp(400, "invalid_verification_token"), send("POST", userUrl + "/users/verify-email", "{\"token\":" + js(tokenOf(first)) + "}"));

    // disable and enable: admin only
    User d = register("disable");
    Session sd = login(d);
    String disable = userUrl + "/users/" + d.id + "/disable";
    String enable = userUrl + "/users/" + d.id + "/enable";
    check("disable: own account with own token", new Req("POST", "/users/{D}/disable", "D's token"), exp(403, "forbidden"),
      send("POST", disable, null, bearer(sd.access)));
    check("enable: own account with own token", new Req("POST", "/users/{D}/enable", "D's token"), exp(403, "forbidden"),
      send("POST", enable, null, bearer(sd.access)));
    check("disable: A on D", new Req("POST", "/users/{D}/disable", "A's token"), exp(403, "forbidden"), send("POST", disable, null, asA));
    check("enable: A on D", new Req("POST", "/users/{D}/enable", "A's token"), exp(403, "forbidden"), send("POST", enable, null, asA));
    // an id that is not a UUID is answered like an unknown one: a user token meets the admin check first
    check("disable: user token, id not a UUID", new Req("POST", "/users/not-a-uuid/disable", "A's token"), exp(403, "forbidden"),
      send("POST", userUrl + "/users/not-a-uuid/disable", null, asA));
    check("disable: no credentials", new Req("POST", "/users/{D}/disable", "none"), badToken(), send("POST", disable, null));
    check("enable: no credentials", new Req("POST", "/users/{D}/enable", "none"), badToken(), send("POST", enable, null));
    check("disable: validate-only key", new Req("POST", "/users/{D}/disable", "validate key"), badKey(), send("POST", disable, null, key(validateKey)));
    check("enable: validate-only key", new Req("POST", "/users/{D}/enable", "validate key"), badKey(), send("POST", enable, null, key(validateKey)));
    check("disable: wrong key", new Req("POST", "/users/{D}/disable", "wrong key"), badKey(), send("POST", disable, null, key(wrong)));
    check("disable: roles claim changed to admin (signature kept)", new Req("POST", "/users/{D}/disable", "forged admin token"), badToken(),
      send("POST", disable, null, bearer(adminClaimForged(sa.access))));
    check("disable: id not a UUID (full key)", new Req("POST", "/users/not-a-uuid/disable", "full key"), exp(404, "user_not_found"),
      send("POST", userUrl + "/users/not-a-uuid/disable", null, key(fullKey)));
    check("enable: id not a UUID (full key)", new Req("POST", "/users/not-a-uuid/enable", "full key"), exp(404, "user_not_found"),
      send("POST", userUrl + "/users/not-a-uuid/enable", null, key(fullKey)));
    check("disable: unknown id (full key)", new Req("POST", "/users/{random}/disable", "full key"), exp(404, "user_not_found"),
      send("POST", userUrl + "/users/" + java.util.UUID.randomUUID() + "/disable", null, key(fullKey)));
    check("disable: extra field in the body (full key)", new Req("POST", "/users/{D}/disable", "{disabled: false}"), exp(400, "validation_failed"),
      send("POST", disable, "{\"disabled\":false}", key(fullKey)));
    check("D is still enabled, its session alive", new Req("GET", "/users/{D}", "D's token"),
      userWith("disabled false", x -> Boolean.FALSE.equals(x.get("disabled"))), send("GET", userUrl + "/users/" + d.id, null, bearer(sd.access)));
    check("control: disable D (full key)", new Req("POST", "/users/{D}/disable", "full key"), userWith("disabled true", x -> Boolean.TRUE.equals(x.get("disabled"))),
      send("POST", disable, null, key(fullKey)));
    check("disabled: D's access token -> user", new Req("GET", "/users/{D}", "D's token"), badToken(), send("GET", userUrl + "/users/" + d.id, null, bearer(sd.access)));
    check("disabled: D's access token -> auth", new Req("GET", "/auth/me", "D's token"), badToken(), send("GET", authUrl + "/auth/me", null, bearer(sd.access)));
    check("disabled: D's refresh token", new Req("POST", "/auth/refresh", "D's refresh token"), exp(401, "invalid_refresh_token"), refresh(sd.refresh));
    check("disabled: login with the right password", new Req("POST", "/auth/login", "D, right password"), exp(403, "account_disabled"),
      send("POST", authUrl + "/auth/login", "{\"login\":" + js(d.username) + ",\"password\":" + js(d.password) + "}"));
    check("disabled: login with a wrong password", new Req("POST", "/auth/login", "D, wrong password"), exp(401, "invalid_credentials"),
      send("POST", authUrl + "/auth/login", "{\"login\":" + js(d.username) + ",\"password\":" + js(newPassword()) + "}"));
    Resp dr = send("POST", userUrl + "/users/password-reset", "{\"email\":" + js(d.email) + "}");
    Resp nr = send("POST", userUrl + "/users/password-reset", "{\"email\":" + js("adv_nobody2_" + run + "@example.com") + "}");
    parity("reset request: disabled vs unregistered address", "POST /users/password-reset", nr, dr, 202);
    check("control: enable D (full key)", new Req("POST", "/users/{D}/enable", "full key"), userWith("disabled false", x -> Boolean.FALSE.equals(x.get("disabled"))),
      send("POST", enable, null, key(fullKey)));
    check("enabled again: the old session stays revoked", new Req("GET", "/auth/me", "D's old token"), badToken(),
      send("GET", authUrl + "/auth/me", null, bearer(sd.access)));
    check("enabled again: the right password logs in", new Req("POST", "/auth/login", "D, right password"), exp(200),
      send("POST", authUrl + "/auth/login", "{\"login\":" + js(d.username) + ",\"password\":" + js(d.password) + "}"));
    // a marker: once a reset mail asked for after D's has come, D's would have come too
    int vBefore = mailCount(v.email, "reset");
    check("control: reset request for V (marker)", new Req("POST", "/users/password-reset", "V's address"), exp(202),
      send("POST", userUrl + "/users/password-reset", "{\"email\":" + js(v.email) + "}"));
    mailLink("the marker reset mail for V came", v.email, "reset", vBefore, "reset-token");
    int toDisabled = mailCount(d.email, "reset");
    verdict("no reset mail for the disabled account", "0 mails", toDisabled + " mails", toDisabled == 0 ? null : "a disabled account got a reset mail", "");
  }

  /** The token with {@code roles} changed to include admin, the original signature kept. */
  private static String adminClaimForged(String token) {
    Map<String, Object> m = copy(claims(token));
    m.put("roles", List.of("user", "admin"));
    return withPayload(token, m);
  }

  // ------------------------------------------------------------------ report: log scan and table

  private static int report(Map<String, List<String>> o) throws IOException {
    List<String[]> rows = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(opt(o, "results", null)))) {
      if (!line.isBlank()) {
        String[] f = line.split("\t", -1);
        rows.add(Arrays.copyOf(f, 6));
      }
    }
    Map<String, List<String>> secretsByKind = new TreeMap<>();
    for (String line : Files.readAllLines(Path.of(opt(o, "secrets", null)))) {
      int t = line.indexOf('\t');
      if (t > 0 && line.length() - t - 1 >= 8) {
        secretsByKind.computeIfAbsent(line.substring(0, t), k -> new ArrayList<>()).add(line.substring(t + 1));
      }
    }
    for (String spec : o.getOrDefault("log", List.of())) {
      // NAME=PATH:FROM:TO
      String name = spec.substring(0, spec.indexOf('='));
      String[] p = spec.substring(spec.indexOf('=') + 1).split(":");
      Path path = Path.of(p[0]);
      int from = Integer.parseInt(p[1]);
      int to = Integer.parseInt(p[2]);
      List<String> lines = Files.exists(path) ? Files.readAllLines(path, StandardCharsets.UTF_8) : List.of();
      String group = "logs (ASVS V16)";
      if (lines.isEmpty()) {
        rows.add(new String[] {group, name + " log exists and is not empty", "lines", "none", "FAIL", path + " missing or empty"});
        continue;
      }
      for (var e : secretsByKind.entrySet()) {
        List<String> hits = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
          for (String s : e.getValue()) {
            if (lines.get(i).contains(s)) {
              hits.add(path.getFileName() + ":" + (i + 1) + ": " + clip(lines.get(i).replace(s, "<" + e.getKey() + ">"), 200));
              break;
            }
          }
        }
        rows.add(new String[] {group, name + " log shows no " + e.getKey() + " (" + e.getValue().size() + " sent)", "0 lines",
          hits.size() + " lines", hits.isEmpty() ? "ok" : "FAIL", hits.isEmpty() ? "" : String.join(" | ", hits.subList(0, Math.min(3, hits.size())))});
      }
      // stack traces while the attack ran: the event line above each trace names the request
      List<String> traces = new ArrayList<>();
      for (int i = Math.max(0, from); i < Math.min(to, lines.size()); i++) {
        String l = lines.get(i);
        if (l.matches("^\\s+at [\\w$.<>/]+\\(.*") && (i == 0 || !lines.get(i - 1).matches("^\\s+at .*"))) {
          int ev = i - 1;
          while (ev > 0 && !lines.get(ev).matches("^\\d{4}-\\d\\d-\\d\\dT.*")) {
            ev--;
          }
          traces.add(path.getFileName() + ":" + (ev + 1) + ": " + clip(lines.get(ev), 220) + " / " + clip(lines.get(i - 1), 160));
        }
      }
      rows.add(new String[] {group, name + " log: no stack trace during the attack (lines " + (from + 1) + "-" + to + ")", "0 traces",
        traces.size() + " traces", traces.isEmpty() ? "ok" : "FAIL", traces.isEmpty() ? "" : String.join(" | ", traces.subList(0, Math.min(4, traces.size())))});
    }

    // the table
    int w = 70;
    System.out.println();
    System.out.printf("%-4s  %-" + w + "s  %-58s  %s%n", "ok", "case", "expected", "got");
    String last = null;
    Map<String, int[]> counts = new LinkedHashMap<>();
    for (String[] r : rows) {
      if (!r[0].equals(last)) {
        System.out.println("---- " + r[0]);
        last = r[0];
      }
      counts.computeIfAbsent(r[0], k -> new int[2])[r[4].equals("ok") ? 0 : 1]++;
      System.out.printf("%-4s  %-" + w + "s  %-58s  %s%n", r[4].equals("ok") ? "ok" : "FAIL", clip(r[1], w), clip(r[2], 58), clip(r[3], 80));
    }
    List<String[]> failed = rows.stream().filter(r -> !r[4].equals("ok")).toList();
    if (!failed.isEmpty()) {
      System.out.println();
      System.out.println("FAILURES (request -> answer, why):");
      for (String[] r : failed) {
        System.out.println("* [" + r[0] + "] " + r[1]);
        System.out.println("    expected " + r[2] + ", got " + r[3]);
        System.out.println("    " + clip(r[5], 900));
      }
    }
    System.out.println();
    System.out.println("cases per group (passed / failed):");
    int total = 0;
    int bad = 0;
    for (var e : counts.entrySet()) {
      System.out.printf("  %-32s %4d / %d%n", e.getKey(), e.getValue()[0], e.getValue()[1]);
      total += e.getValue()[0] + e.getValue()[1];
      bad += e.getValue()[1];
    }
    System.out.printf("adversarial suite: %d cases, %d passed, %d failed%n", total, total - bad, bad);
    return bad == 0 ? 0 : 1;
  }

  // ------------------------------------------------------------------ a small JSON reader and writer

  static final class Json {
    private final String s;
    private int i;

    private Json(String s) {
      this.s = s;
    }

    static Object parse(String text) {
      Json j = new Json(text);
      j.ws();
      Object v = j.value(0);
      j.ws();
      if (j.i != text.length()) {
        throw new IllegalArgumentException("trailing text");
      }
      return v;
    }

    private void ws() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
    }

    private Object value(int depth) {
      if (depth > 200 || i >= s.length()) {
        throw new IllegalArgumentException("bad JSON");
      }
      char c = s.charAt(i);
      switch (c) {
        case '{' -> {
          Map<String, Object> m = new LinkedHashMap<>();
          i++;
          ws();
          if (s.charAt(i) == '}') {
            i++;
            return m;
          }
          while (true) {
            ws();
            String k = string();
            ws();
            expect(':');
            ws();
            m.put(k, value(depth + 1));
            ws();
            if (s.charAt(i) == ',') {
              i++;
            } else {
              expect('}');
              return m;
            }
          }
        }
        case '[' -> {
          List<Object> l = new ArrayList<>();
          i++;
          ws();
          if (s.charAt(i) == ']') {
            i++;
            return l;
          }
          while (true) {
            ws();
            l.add(value(depth + 1));
            ws();
            if (s.charAt(i) == ',') {
              i++;
            } else {
              expect(']');
              return l;
            }
          }
        }
        case '"' -> {
          return string();
        }
        default -> {
          if (s.startsWith("true", i)) {
            i += 4;
            return Boolean.TRUE;
          }
          if (s.startsWith("false", i)) {
            i += 5;
            return Boolean.FALSE;
          }
          if (s.startsWith("null", i)) {
            i += 4;
            return null;
          }
          int st = i;
          while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
            i++;
          }
          String num = s.substring(st, i);
          if (num.isEmpty()) {
            throw new IllegalArgumentException("bad JSON at " + st);
          }
          if (num.matches("-?\\d+")) {
            return new BigInteger(num).bitLength() < 63 ? (Object) Long.parseLong(num) : new BigInteger(num);
          }
          return Double.parseDouble(num);
        }
      }
    }

    private void expect(char c) {
      if (i >= s.length() || s.charAt(i) != c) {
        throw new IllegalArgumentException("expected " + c + " at " + i);
      }
      i++;
    }

    private String string() {
      expect('"');
      StringBuilder b = new StringBuilder();
      while (true) {
        char c = s.charAt(i++);
        if (c == '"') {
          return b.toString();
        }
        if (c == '\\') {
          char e = s.charAt(i++);
          switch (e) {
            case 'n' -> b.append('\n');
            case 't' -> b.append('\t');
            case 'r' -> b.append('\r');
            case 'b' -> b.append('\b');
            case 'f' -> b.append('\f');
            case 'u' -> {
              b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
              i += 4;
            }
            default -> b.append(e);
          }
        } else {
          b.append(c);
        }
      }
    }

    static String write(Object v) {
      if (v == null) {
        return "null";
      }
      if (v instanceof String str) {
        return js(str);
      }
      if (v instanceof Map<?, ?> m) {
        StringBuilder b = new StringBuilder("{");
        m.forEach((k, x) -> b.append(b.length() > 1 ? "," : "").append(js(String.valueOf(k))).append(':').append(write(x)));
        return b.append('}').toString();
      }
      if (v instanceof List<?> l) {
        StringBuilder b = new StringBuilder("[");
        l.forEach(x -> b.append(b.length() > 1 ? "," : "").append(write(x)));
        return b.append(']').toString();
      }
      return String.valueOf(v);
    }
  }
}
