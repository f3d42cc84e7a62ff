package io.latchkey.auth;

import com.hazelcast.map.IMap;
import io.latchkey.auth.cache.PasswordCache;
import io.latchkey.auth.login.LoginThrottle;
import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.latchkey.common.bus.Credentials;
import io.latchkey.common.testing.TestNodes;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A cluster member that writes to the auth service's Hazelcast maps (any member can: user nodes
 * and anything else that joins hold partitions of them) cannot bring an old password back: it
 * can replay an entry sealed before a password change and roll the user's floor back, yet the
 * old password is refused, because a cache hit must also clear the durable floor in PostgreSQL.
 * Nor can it forge a floor without the cache key.
 */
@AuthTest(nodes = 1, settings = "LOGIN_ACCOUNT_MAX_FAILURES=3")
class ClusterStateRollbackTest {

  static AuthFixture auth;

  @BeforeAll
  static void start(AuthFixture fixture) {
    auth = fixture;
  }

  private static int login(String login, String password) {
    return auth.postJson(0, "/auth/login", new JsonObject().put("login", login).put("password", password)).statusCode();
  }

  @Test
  void aReplayedOldEntryWithARolledBackFloorDoesNotLetTheOldPasswordIn() {
    Credentials v1 = auth.users.add("rolf", "rolfs first password");
    assertThat(login("rolf", "rolfs first password")).isEqualTo(200);

    var hazelcast = TestNodes.hazelcast(auth.nodes.get(0));
    IMap<String, byte[]> entries = hazelcast.getMap(PasswordCache.ENTRIES_MAP);
    IMap<String, String> logins = hazelcast.getMap(PasswordCache.LOGINS_MAP);
    IMap<String, byte[]> floors = hazelcast.getMap(PasswordCache.FLOORS_MAP);
    byte[] oldEntry = entries.get(v1.userId());
    assertThat(oldEntry).as("the login left the entry in the cache").isNotNull();
    Map<String, String> oldIndex = new HashMap<>();
    logins.forEach((k, v) -> {
      if (v.equals(v1.userId())) {
        oldIndex.put(k, v);
      }
    });
    assertThat(oldIndex).isNotEmpty();

    // the password changes: the user service holds version 2, the auth service is told
    Credentials v2 = auth.users.add("rolf-new", "rolfs second password");
    auth.users.put(new Credentials(v1.userId(), v1.username(), v1.email(), v1.roles(), v2.passwordHash(), 2, Instant.now(), false, false));
    auth.users.remove(v2.userId());
    assertThat(auth.postJson(0, "/auth/sync/password", new JsonObject().put("userId", v1.userId()).put("passwordVersion", 2),
      "X-API-Key", AuthFixture.FULL_KEY).statusCode()).isEqualTo(204);
    assertThat(entries.get(v1.userId())).as("the old entry was dropped").isNull();
    assertThat(floors.get(v1.userId())).as("a floor was raised").isNotNull();

    // the rogue member: old entry and index back, floor gone
    floors.delete(v1.userId());
    entries.set(v1.userId(), oldEntry);
    logins.putAll(oldIndex);

    assertThat(login("rolf", "rolfs first password")).as("the old password after the rollback").isEqualTo(401);
    assertThat(login("rolf", "rolfs second password")).as("the new password still works").isEqualTo(200);
  }

  @Test
  void aFloorWrittenWithoutTheCacheKeyIsNotBelieved() {
    Credentials user = auth.users.add("flora", "floras long password");
    IMap<String, byte[]> floors = TestNodes.hazelcast(auth.nodes.get(0)).getMap(PasswordCache.FLOORS_MAP);
    // a forged "deleted" floor (what the first release stored in plain text) would lock the user out
    floors.set(user.userId(), (Long.MAX_VALUE + "|0").getBytes(StandardCharsets.UTF_8));
    assertThat(login("flora", "floras long password")).isEqualTo(200);
  }

  @Test
  void aLockedAccountStaysLockedWhenItsCountersAreRolledBackOrDeleted() {
    auth.users.add("lotta", "lottas long password");
    IMap<String, byte[]> counters = TestNodes.hazelcast(auth.nodes.get(0)).getMap(LoginThrottle.MAP);
    Map<String, byte[]> before = new HashMap<>(counters);
    assertThat(login("lotta", "wrong 1")).isEqualTo(401);
    Map<String, byte[]> afterOne = new HashMap<>(counters);
    assertThat(login("lotta", "wrong 2")).isEqualTo(401);
    assertThat(login("lotta", "wrong 3")).isEqualTo(401);
    assertThat(login("lotta", "lottas long password")).as("locked").isEqualTo(429);

    // the rogue member: every counter back to its value after the first failure, new ones deleted
    for (String key : counters.keySet()) {
      if (!before.containsKey(key) && !afterOne.containsKey(key)) {
        counters.delete(key);
      }
    }
    counters.putAll(afterOne);
    assertThat(login("lotta", "lottas long password")).as("still locked after a replay of older counters").isEqualTo(429);

    // and with the account's counter deleted outright
    afterOne.keySet().stream().filter(k -> !before.containsKey(k)).forEach(counters::delete);
    assertThat(login("lotta", "lottas long password")).as("still locked after the counters were deleted").isEqualTo(429);
  }
}
