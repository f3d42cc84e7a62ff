package io.latchkey.common;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;

/** HMAC-SHA256, incrementally over several parts. */
final class Hmac {

  private final Mac mac;

  private Hmac(byte[] key) {
    try {
      mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static Hmac with(byte[] key) {
    return new Hmac(key);
  }

  Hmac add(byte[] part) {
    mac.update(part);
    return this;
  }

  byte[] done() {
    return mac.doFinal();
  }

  static byte[] sha256(byte[] key, byte[] data) {
    return with(key).add(data).done();
  }
}
