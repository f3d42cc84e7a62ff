package io.latchkey.common;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The internal API keys this node accepts, and the one it sends. Keys are compared in
 * constant time through their SHA-256 digests (so neither content nor length leaks), and are
 * only ever named in logs by {@link #fingerprint(String)}.
 */
public final class ApiKeys {

  /** What a key is good for. FULL covers VALIDATE. */
  public enum Scope { FULL, VALIDATE }

  /** The key a local run uses when no key is configured; the README names it. Refused by the production profile. */
  public static final String DEVELOPMENT_KEY = "dev-internal-key-change-me";

  private final List<byte[]> fullDigests;
  private final List<byte[]> validateDigests;
  private final String outgoing;
  /** The event-bus signing keys derived from the full keys, by key id (several at once while keys rotate). */
  private final Map<String, byte[]> busKeys;
  private final byte[] outgoingBusKey;
  private final List<String> fullKeys;

  public ApiKeys(List<String> fullKeys, List<String> validateKeys, String outgoing) {
    if (fullKeys.isEmpty()) {
      throw new IllegalArgumentException("at least one full API key is required (API_KEYS)");
    }
    this.fullDigests = fullKeys.stream().map(ApiKeys::digest).toList();
    this.validateDigests = validateKeys.stream().map(ApiKeys::digest).toList();
    this.outgoing = outgoing == null || outgoing.isBlank() ? fullKeys.get(0) : outgoing;
    Map<String, byte[]> derived = new LinkedHashMap<>();
    fullKeys.forEach(key -> derived.put(busKeyId(deriveBusKey(key)), deriveBusKey(key)));
    this.busKeys = Map.copyOf(derived);
    this.outgoingBusKey = deriveBusKey(this.outgoing);
    this.fullKeys = List.copyOf(fullKeys);
  }

  /**
   * Secrets for one purpose derived from the keys (HMAC-SHA256(key, "latchkey derived|" +
   * purpose)), the one of the key this node sends first, then those of every full key: what one
   * node seals, any node of the deployment can open, also while keys rotate (the old key stays in
   * API_KEYS until what it sealed is used up).
   */
  public List<byte[]> derivedSecrets(String purpose) {
    byte[] label = ("latchkey derived|" + purpose).getBytes(StandardCharsets.UTF_8);
    List<byte[]> secrets = new ArrayList<>();
    secrets.add(Hmac.sha256(outgoing.getBytes(StandardCharsets.UTF_8), label));
    for (String key : fullKeys) {
      if (!key.equals(outgoing)) {
        secrets.add(Hmac.sha256(key.getBytes(StandardCharsets.UTF_8), label));
      }
    }
    return List.copyOf(secrets);
  }

  /**
   * Reads API_KEYS, API_KEYS_VALIDATE and API_KEY from the given environment. Without API_KEYS
   * the development key is used, except in the production profile, where this throws.
   */
  public static ApiKeys fromEnvironment(Map<String, String> env, Profile profile) {
    boolean production = profile.production();
    List<String> full = split(env.get("API_KEYS"));
    if (full.isEmpty()) {
      if (production) {
        throw new IllegalStateException("the production profile needs API_KEYS (comma-separated internal keys)");
      }
      full = List.of(DEVELOPMENT_KEY);
    }
    if (production && full.contains(DEVELOPMENT_KEY)) {
      throw new IllegalStateException("the production profile refuses the development API key");
    }
    return new ApiKeys(full, split(env.get("API_KEYS_VALIDATE")), env.get("API_KEY"));
  }

  /**
   * Outside production, a secret that is not configured is derived from the first internal key
   * ({@code API_KEYS}, else the development key), so that every node of a local cluster agrees
   * without extra set-up: SHA-256 of {@code purpose|key}, a different secret for each purpose.
   */
  public static byte[] developmentSecret(Map<String, String> env, String purpose) {
    List<String> keys = split(env.get("API_KEYS"));
    String seed = keys.isEmpty() ? DEVELOPMENT_KEY : keys.get(0);
    try {
      return MessageDigest.getInstance("SHA-256").digest((purpose + "|" + seed).getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public static List<String> split(String value) {
    if (value == null || value.isBlank()) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String part : value.split(",")) {
      if (!part.isBlank()) {
        out.add(part.trim());
      }
    }
    return out;
  }

  /** The scope of a presented key, empty when it is missing or unknown. Constant time over the configured keys. */
  public Optional<Scope> scopeOf(String presented) {
    if (presented == null || presented.isEmpty()) {
      return Optional.empty();
    }
    byte[] d = digest(presented);
    boolean full = false;
    for (byte[] k : fullDigests) {
      full |= MessageDigest.isEqual(k, d);
    }
    boolean validate = false;
    for (byte[] k : validateDigests) {
      validate |= MessageDigest.isEqual(k, d);
    }
    if (full) {
      return Optional.of(Scope.FULL);
    }
    return validate ? Optional.of(Scope.VALIDATE) : Optional.empty();
  }

  /** True when the key is a full internal key. */
  public boolean isFull(String presented) {
    return scopeOf(presented).filter(s -> s == Scope.FULL).isPresent();
  }

  /** True when the key is a full key or a validate-only key. */
  public boolean canValidate(String presented) {
    return scopeOf(presented).isPresent();
  }

  /** The key this node sends with its own requests. */
  public String outgoing() {
    return outgoing;
  }

  /** The event-bus signing key derived from the key this node sends; the key itself never travels on the bus. */
  byte[] outgoingBusKey() {
    return outgoingBusKey;
  }

  /** The event-bus signing key of a key id, or null when no full key of this node derives it. */
  byte[] busKey(String keyId) {
    return keyId == null ? null : busKeys.get(keyId);
  }

  /** HMAC-SHA256(key, "latchkey event-bus v1"): what signs bus messages, so that the internal key never travels. */
  static byte[] deriveBusKey(String key) {
    return Hmac.sha256(key.getBytes(StandardCharsets.UTF_8), "latchkey event-bus v1".getBytes(StandardCharsets.UTF_8));
  }

  /** A public name of a derived bus key (8 hex digits), sent with every signed message so the receiver picks the key. */
  static String busKeyId(byte[] busKey) {
    return HexFormat.of().formatHex(Hmac.sha256(busKey, "key id".getBytes(StandardCharsets.UTF_8)), 0, 4);
  }

  public boolean usesDevelopmentKey() {
    return Arrays.equals(digest(outgoing), digest(DEVELOPMENT_KEY));
  }

  /** A short, non-reversible name for a key, safe for logs. */
  public static String fingerprint(String key) {
    return "key:" + HexFormat.of().formatHex(digest(key), 0, 4);
  }

  private static byte[] digest(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
