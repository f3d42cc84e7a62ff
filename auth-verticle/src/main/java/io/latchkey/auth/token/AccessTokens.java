package io.latchkey.auth.token;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * Signs and verifies access tokens (JWS compact form, RS256) with {@code java.security}
 * directly rather than vertx-auth-jwt, so that exactly one algorithm and only configured kids
 * are ever accepted: the header must say {@code "alg":"RS256"} (case and all; {@code none},
 * HS256 and everything else are refused before any key is touched), the {@code kid} is an exact
 * lookup in the configured keys, no {@code crit} or embedded key headers are honoured, and the
 * three parts may only hold base64url characters (so no padding or whitespace variants of one
 * token exist). Verification is pure CPU and never throws on hostile input.
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
    try {
      Signature rsa = Signature.getInstance("SHA256withRSA");
      rsa.initSign(keys.signingKey());
      rsa.update(signingInput.getBytes(StandardCharsets.US_ASCII));
      return signingInput + "." + ENCODER.encodeToString(rsa.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign an access token", e);
    }
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
    if (!"RS256".equals(header.getValue("alg")) || header.containsKey("crit") || header.containsKey("jwk")
      || header.containsKey("jku") || header.containsKey("x5u") || header.containsKey("x5c")) {
      return TokenCheck.invalid(TokenCheck.Reason.INVALID_SIGNATURE);
    }
    Object kid = header.getValue("kid");
    RSAPublicKey key = kid instanceof String k ? keys.verificationKey(k) : null;
    if (key == null) {
      return TokenCheck.invalid(TokenCheck.Reason.UNKNOWN_KEY);
    }
    String encodedSignature = token.substring(secondDot + 1);
    byte[] signature = DECODER.decode(encodedSignature);
    // the decoder ignores the unused low bits of the last character: without this, 16 strings
    // would carry one signature (the signing input is compared as a string, so it needs no such check)
    if (!ENCODER.encodeToString(signature).equals(encodedSignature)) {
      return TokenCheck.invalid(TokenCheck.Reason.MALFORMED);
    }
    if (signature.length != (key.getModulus().bitLength() + 7) / 8 || !signatureMatches(key,
      token.substring(0, secondDot), signature)) {
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

  private static boolean signatureMatches(RSAPublicKey key, String signingInput, byte[] signature) {
    try {
      Signature rsa = Signature.getInstance("SHA256withRSA");
      rsa.initVerify(key);
      rsa.update(signingInput.getBytes(StandardCharsets.US_ASCII));
      return rsa.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
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
