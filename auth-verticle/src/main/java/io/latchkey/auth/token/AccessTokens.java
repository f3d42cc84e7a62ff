package io.latchkey.auth.token;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * Signs and verifies access tokens (JWS compact form, RS256 or EdDSA) with {@code java.security}
 * and Bouncy Castle's Ed25519 directly rather than vertx-auth-jwt, so that only configured kids,
 * each with the one algorithm of its key, are ever accepted: the {@code kid} is an exact lookup
 * in the configured keys, and the header's {@code alg} must be exactly that key's algorithm
 * ({@code "RS256"} for an RSA key, {@code "EdDSA"} for an Ed25519 key, case and all; {@code none},
 * HS256, the other algorithm and everything else are refused before any signature check), no
 * {@code crit} or embedded key headers are honoured, and the three parts may only hold base64url
 * characters (so no padding or whitespace variants of one token exist). Verification is pure CPU
 * and never throws on hostile input.
 */
public final class AccessTokens {

  /** Longer strings are not tokens we issued; refused before any decoding. */
  public static final int MAX_TOKEN_LENGTH = 8192;
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

  private final JwtKeys keys;
  private final TokenSettings settings;
  private final Clock clock;

  public AccessTokens(JwtKeys keys, TokenSettings settings, Clock clock) {
    this.keys = keys;
    this.settings = settings;
    this.clock = clock;
  }

  public TokenSettings settings() {
    return settings;
  }

  /** A token of a password login issued now, living the access lifetime but never past {@code notAfterEpochSecond}. */
  public String issue(String userId, String sessionId, String username, List<String> roles, long generation,
                      long notAfterEpochSecond) {
    return issue(userId, sessionId, username, roles, generation, AccessClaims.PASSWORD, notAfterEpochSecond);
  }

  /** A token issued now for a session authenticated by {@code amr}, living the access lifetime but never past {@code notAfterEpochSecond}. */
  public String issue(String userId, String sessionId, String username, List<String> roles, long generation, List<String> amr,
                      long notAfterEpochSecond) {
    long now = clock.instant().getEpochSecond();
    long exp = Math.min(now + settings.accessTokenTtl().toSeconds(), notAfterEpochSecond);
    return sign(new AccessClaims(settings.issuer(), settings.audience(), userId, sessionId, UUID.randomUUID().toString(),
      now, exp, List.copyOf(roles), username, generation, amr));
  }

  /** Signs exactly these claims with the current signing key (tests use it to craft expired tokens). */
  public String sign(AccessClaims claims) {
    JsonObject header = new JsonObject().put("alg", keys.signingAlgorithm()).put("typ", "JWT").put("kid", keys.signingKid());
    JsonObject payload = new JsonObject()
      .put("iss", claims.issuer())
      .put("aud", claims.audience())
      .put("sub", claims.userId())
      .put("sid", claims.sessionId())
      .put("jti", claims.tokenId())
      .put("iat", claims.issuedAt())
      .put("exp", claims.expiresAt())
      .put("roles", new JsonArray(claims.roles()))
      .put("username", claims.username())
      .put("gen", claims.generation())
      .put("amr", new JsonArray(claims.amr()));
    String signingInput = encode(header) + "." + encode(payload);
    return signingInput + "." + ENCODER.encodeToString(keys.signingKey().sign(signingInput.getBytes(StandardCharsets.US_ASCII)));
  }

  /**
   * Checks form, header, signature, issuer, audience and expiry (not revocation).
   * Never throws: anything unexpected is {@code malformed}.
   */
  public TokenCheck verify(String token) {
    try {
      return verifyStrictly(token);
    } catch (RuntimeException e) {
      return TokenCheck.invalid(TokenCheck.Reason.MALFORMED);
    }
  }

  private TokenCheck verifyStrictly(String token) {
    if (token == null || token.isEmpty() || token.length() > MAX_TOKEN_LENGTH) {
      return TokenCheck.invalid(TokenCheck.Reason.MALFORMED);
    }
    int firstDot = token.indexOf('.');
    int secondDot = firstDot < 0 ? -1 : token.indexOf('.', firstDot + 1);
    if (firstDot <= 0 || secondDot < 0 || secondDot == firstDot + 1 || secondDot == token.length() - 1
      || token.indexOf('.', secondDot + 1) >= 0 || !base64UrlOnly(token, firstDot, secondDot)) {
      return TokenCheck.invalid(TokenCheck.Reason.MALFORMED);
    }
    JsonObject header = decodeObject(token.substring(0, firstDot));
    JsonObject payload = decodeObject(token.substring(firstDot + 1, secondDot));
    if (header == null || payload == null) {
      return TokenCheck.invalid(TokenCheck.Reason.MALFORMED);
    }
    JwsAlgorithm alg = JwsAlgorithm.ofWireName(header.getValue("alg"));
    if (alg == null || header.containsKey("crit") || header.containsKey("jwk")
      || header.containsKey("jku") || header.containsKey("x5u") || header.containsKey("x5c")) {
      return TokenCheck.invalid(TokenCheck.Reason.INVALID_SIGNATURE);
    }
    Object kid = header.getValue("kid");
    JwtPublicKey key = kid instanceof String k ? keys.verificationKey(k) : null;
    if (key == null) {
      return TokenCheck.invalid(TokenCheck.Reason.UNKNOWN_KEY);
    }
    // the algorithm is the key's, never the token's choice: an RS256 header on an Ed25519 kid (or the reverse) is forged
    if (key.algorithm() != alg) {
      return TokenCheck.invalid(TokenCheck.Reason.INVALID_SIGNATURE);
    }
    String encodedSignature = token.substring(secondDot + 1);
    byte[] signature = DECODER.decode(encodedSignature);
    // the decoder ignores the unused low bits of the last character: without this, 16 strings
    // would carry one signature (the signing input is compared as a string, so it needs no such check)
    if (!ENCODER.encodeToString(signature).equals(encodedSignature)) {
      return TokenCheck.invalid(TokenCheck.Reason.MALFORMED);
    }
    if (signature.length != key.signatureLength()
      || !key.verifies(token.substring(0, secondDot).getBytes(StandardCharsets.US_ASCII), signature)) {
      return TokenCheck.invalid(TokenCheck.Reason.INVALID_SIGNATURE);
    }
    AccessClaims claims = claims(payload);
    if (claims == null || !settings.issuer().equals(claims.issuer()) || !audienceMatches(payload.getValue("aud"))) {
      return TokenCheck.invalid(TokenCheck.Reason.MALFORMED);
    }
    if (claims.expiresAt() <= clock.instant().getEpochSecond()) {
      return TokenCheck.invalid(TokenCheck.Reason.EXPIRED);
    }
    return TokenCheck.valid(claims);
  }

  private boolean audienceMatches(Object aud) {
    if (aud instanceof String s) {
      return settings.audience().equals(s);
    }
    return aud instanceof JsonArray array && array.contains(settings.audience());
  }

  private AccessClaims claims(JsonObject p) {
    if (!(p.getValue("iss") instanceof String iss) || !(p.getValue("sub") instanceof String sub)
      || !(p.getValue("sid") instanceof String sid) || !(p.getValue("jti") instanceof String jti)
      || !(p.getValue("username") instanceof String username) || !(p.getValue("roles") instanceof JsonArray rolesJson)
      || !(p.getValue("iat") instanceof Number iat) || !(p.getValue("exp") instanceof Number exp)
      || !(p.getValue("gen") instanceof Number gen)) {
      return null;
    }
    List<String> roles = strings(rolesJson);
    // a token issued before the amr claim existed was a password login's
    Object amrJson = p.getValue("amr");
    List<String> amr = amrJson == null ? AccessClaims.PASSWORD : amrJson instanceof JsonArray array ? strings(array) : null;
    if (roles == null || amr == null) {
      return null;
    }
    return new AccessClaims(iss, settings.audience(), sub, sid, jti, iat.longValue(), exp.longValue(), roles,
      username, gen.longValue(), amr);
  }

  /** The array's strings, or null when one element is not a string. */
  private static List<String> strings(JsonArray array) {
    List<String> out = new ArrayList<>(array.size());
    for (Object item : array) {
      if (!(item instanceof String text)) {
        return null;
      }
      out.add(text);
    }
    return List.copyOf(out);
  }

  private static JsonObject decodeObject(String part) {
    try {
      Object value = io.vertx.core.json.Json.decodeValue(new String(DECODER.decode(part), StandardCharsets.UTF_8));
      return value instanceof JsonObject json ? json : null;
    } catch (DecodeException | IllegalArgumentException e) {
      return null;
    }
  }

  private static boolean base64UrlOnly(String token, int firstDot, int secondDot) {
    for (int i = 0; i < token.length(); i++) {
      if (i == firstDot || i == secondDot) {
        continue;
      }
      char c = token.charAt(i);
      boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static String encode(JsonObject json) {
    return ENCODER.encodeToString(json.encode().getBytes(StandardCharsets.UTF_8));
  }
}
