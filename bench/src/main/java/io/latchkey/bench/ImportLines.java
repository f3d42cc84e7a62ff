package io.latchkey.bench;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;

/**
 * Writes N lines of {@code POST /admin/users/import} NDJSON to stdout for the import scenario of
 * scripts/bench.sh: users {@code <prefix>-<n>} with an address of their own, every fourth an admin,
 * every third verified, and a password hash in turn argon2id, PBKDF2-SHA256, PBKDF2-SHA512 and
 * none, with Keycloak 26's default parameters (salts and hashes are random bytes: the import parses
 * hashes, it does not verify them). The file of 100,000 lines is ~19 MB.
 *
 * <p>usage: ImportLines &lt;count&gt; &lt;prefix&gt;
 */
public final class ImportLines {

  private ImportLines() {
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 2 || !args[1].matches("[a-z0-9]{1,20}")) {
      System.err.println("usage: ImportLines <count> <prefix: a-z0-9, at most 20>");
      System.exit(2);
    }
    int count = Integer.parseInt(args[0]);
    String prefix = args[1];
    Random random = new Random(42);
    Base64.Encoder phc = Base64.getEncoder().withoutPadding();
    try (BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16)) {
      for (int n = 1; n <= count; n++) {
        String name = prefix + "-" + n;
        StringBuilder line = new StringBuilder(256).append("{\"username\":\"").append(name).append("\",\"email\":\"")
          .append(name).append("@example.com\",\"displayName\":\"Imported User ").append(n).append('"');
        if (n % 4 == 0) {
          line.append(",\"roles\":[\"user\",\"admin\"]");
        }
        if (n % 3 == 0) {
          line.append(",\"emailVerified\":true");
        }
        String hash = switch (n % 4) {
          case 1 -> "$argon2id$v=19$m=7168,t=5,p=1$" + phc.encodeToString(bytes(random, 16)) + "$" + phc.encodeToString(bytes(random, 32));
          case 2 -> "$pbkdf2-sha256$i=600000,l=32$" + phc.encodeToString(bytes(random, 16)) + "$" + phc.encodeToString(bytes(random, 32));
          case 3 -> "$pbkdf2-sha512$i=210000,l=64$" + phc.encodeToString(bytes(random, 16)) + "$" + phc.encodeToString(bytes(random, 64));
          default -> null;
        };
        if (hash != null) {
          line.append(",\"passwordHash\":\"").append(hash).append('"');
        }
        out.write(line.append("}\n").toString());
      }
    }
  }

  private static byte[] bytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }
}
