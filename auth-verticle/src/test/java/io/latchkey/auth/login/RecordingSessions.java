package io.latchkey.auth.login;

import io.latchkey.auth.session.Sessions;
import io.latchkey.auth.session.TokenPair;
import io.latchkey.common.bus.Credentials;
import io.vertx.core.Future;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/** Test double of {@link Sessions}: opens pretend sessions and records every call. */
public final class RecordingSessions implements Sessions {

  public record Opened(Credentials user, String userAgent, String clientIp, TokenPair pair) {
  }

  public record PasswordRevocation(String userId, long passwordVersion, String keepSessionId) {
  }

  public final List<Opened> opened = new CopyOnWriteArrayList<>();
  public final List<PasswordRevocation> passwordRevocations = new CopyOnWriteArrayList<>();
  public final List<String> revokedAllOf = new CopyOnWriteArrayList<>();
  public final List<String> invalidatedAccessTokensOf = new CopyOnWriteArrayList<>();

  @Override
  public Future<TokenPair> open(Credentials user, String userAgent, String clientIp, String requestId) {
    String sessionId = UUID.randomUUID().toString();
    TokenPair pair = new TokenPair("access-" + sessionId, "refresh-" + UUID.randomUUID(), 900, 2_592_000, sessionId);
    opened.add(new Opened(user, userAgent, clientIp, pair));
    return Future.succeededFuture(pair);
  }

  @Override
  public Future<Integer> revokeOlderPasswordVersions(String userId, long passwordVersion, String keepSessionId, String requestId) {
    passwordRevocations.add(new PasswordRevocation(userId, passwordVersion, keepSessionId));
    return Future.succeededFuture(0);
  }

  @Override
  public Future<Integer> revokeAllOfUser(String userId, String reason, String requestId) {
    revokedAllOf.add(userId);
    return Future.succeededFuture(0);
  }

  @Override
  public Future<Void> invalidateAccessTokens(String userId, String requestId) {
    invalidatedAccessTokensOf.add(userId);
    return Future.succeededFuture();
  }

  public List<Opened> openedFor(String userId) {
    return opened.stream().filter(o -> o.user().userId().equals(userId)).toList();
  }
}
