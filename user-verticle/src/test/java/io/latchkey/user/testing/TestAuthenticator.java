package io.latchkey.user.testing;

import com.webauthn4j.converter.AttestationObjectConverter;
import com.webauthn4j.converter.AuthenticatorDataConverter;
import com.webauthn4j.converter.util.ObjectConverter;
import com.webauthn4j.data.attestation.AttestationObject;
import com.webauthn4j.data.attestation.authenticator.AAGUID;
import com.webauthn4j.data.attestation.authenticator.AttestedCredentialData;
import com.webauthn4j.data.attestation.authenticator.AuthenticatorData;
import com.webauthn4j.data.attestation.authenticator.EC2COSEKey;
import com.webauthn4j.data.attestation.statement.COSEAlgorithmIdentifier;
import com.webauthn4j.data.attestation.statement.NoneAttestationStatement;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A software passkey for tests (webauthn4j-test is not on Maven Central): one P-256 key pair and
 * credential id, which makes what a browser's {@code PublicKeyCredential.toJSON()} sends for a
 * creation (attestation "none", flags UP|UV|AT, AAGUID zeros, the COSE key) and for an assertion
 * (flags UP|UV, a counter, an ES256 signature over authenticatorData || SHA-256(clientDataJSON)).
 * The binary parts are written by webauthn4j's own converters; the JSON and the signature here.
 */
public final class TestAuthenticator {

  public static final byte UP = 0x01;
  public static final byte UV = 0x04;
  public static final byte AT = 0x40;

  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
  private static final ObjectConverter CONVERTER = new ObjectConverter();

  private final KeyPair keys;
  private final byte[] credentialId;

  public TestAuthenticator() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      this.keys = generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    this.credentialId = new byte[16];
    ThreadLocalRandom.current().nextBytes(credentialId);
  }

  public String credentialId() {
    return B64URL.encodeToString(credentialId);
  }

  /** A creation response for {@code challenge} (base64url) from {@code origin} for {@code rpId}, with the given flags. */
  public JsonObject registration(String challenge, String origin, String rpId, byte flags) {
    byte[] clientData = clientData("webauthn.create", challenge, origin);
    AttestedCredentialData attested = new AttestedCredentialData(AAGUID.ZERO, credentialId,
      EC2COSEKey.create((ECPublicKey) keys.getPublic(), COSEAlgorithmIdentifier.ES256));
    AuthenticatorData<?> authData = new AuthenticatorData<>(sha256(rpId.getBytes(StandardCharsets.UTF_8)), (byte) (flags | AT), 0,
      attested);
    @SuppressWarnings({"unchecked", "rawtypes"})
    byte[] attestation = new AttestationObjectConverter(CONVERTER)
      .convertToBytes(new AttestationObject((AuthenticatorData) authData, new NoneAttestationStatement()));
    return credential(new JsonObject()
      .put("clientDataJSON", B64URL.encodeToString(clientData))
      .put("attestationObject", B64URL.encodeToString(attestation))
      .put("transports", new JsonArray().add("internal")));
  }

  /** A valid creation response (UP and UV set). */
  public JsonObject registration(String challenge, String origin, String rpId) {
    return registration(challenge, origin, rpId, (byte) (UP | UV));
  }

  /** An assertion over {@code challenge} with {@code counter}, signed by this passkey; {@code userHandle} base64url or null. */
  public JsonObject assertion(String challenge, String origin, String rpId, byte flags, long counter, String userHandle) {
    byte[] clientData = clientData("webauthn.get", challenge, origin);
    byte[] authData = new AuthenticatorDataConverter(CONVERTER)
      .convert(new AuthenticatorData<>(sha256(rpId.getBytes(StandardCharsets.UTF_8)), flags, counter));
    byte[] signature = sign(concat(authData, sha256(clientData)));
    JsonObject response = new JsonObject()
      .put("clientDataJSON", B64URL.encodeToString(clientData))
      .put("authenticatorData", B64URL.encodeToString(authData))
      .put("signature", B64URL.encodeToString(signature));
    if (userHandle != null) {
      response.put("userHandle", userHandle);
    }
    return credential(response);
  }

  /** A valid assertion (UP and UV set). */
  public JsonObject assertion(String challenge, String origin, String rpId, long counter, String userHandle) {
    return assertion(challenge, origin, rpId, (byte) (UP | UV), counter, userHandle);
  }

  /** A fresh random challenge, base64url, as a server would issue. */
  public static String challenge() {
    byte[] bytes = new byte[32];
    ThreadLocalRandom.current().nextBytes(bytes);
    return B64URL.encodeToString(bytes);
  }

  public static String base64url(byte[] bytes) {
    return B64URL.encodeToString(bytes);
  }

  private JsonObject credential(JsonObject response) {
    return new JsonObject()
      .put("id", credentialId())
      .put("rawId", credentialId())
      .put("type", "public-key")
      .put("authenticatorAttachment", "platform")
      .put("response", response)
      .put("clientExtensionResults", new JsonObject());
  }

  private static byte[] clientData(String type, String challenge, String origin) {
    return new JsonObject().put("type", type).put("challenge", challenge).put("origin", origin).put("crossOrigin", false)
      .encode().getBytes(StandardCharsets.UTF_8);
  }

  private byte[] sign(byte[] data) {
    try {
      Signature signer = Signature.getInstance("SHA256withECDSA");
      signer.initSign(keys.getPrivate());
      signer.update(data);
      return signer.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static byte[] sha256(byte[] value) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(value);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
