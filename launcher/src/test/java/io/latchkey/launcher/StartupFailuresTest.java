package io.latchkey.launcher;

import io.latchkey.common.Database;
import io.latchkey.common.DbConfig;
import io.latchkey.common.testing.TestNodes;
import io.latchkey.common.testing.TestPostgres;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The one line a failed start prints, from the real failures: PostgreSQL not listening, a
 * database that does not exist, a port another server holds, an invalid setting.
 */
@ExtendWith(VertxExtension.class)
class StartupFailuresTest {

  private static ServicePlan plan(DbConfig database, int port) {
    return new ServicePlan("user service", database, "0.0.0.0", port,
      () -> (vertx, hazelcast, keys, state, instances, metrics) -> Future.failedFuture("not used"));
  }

  @Test
  void aMigrationAgainstAClosedPortNamesTheUnreachableDatabase(Vertx vertx, VertxTestContext ctx) {
    int closedPort = TestNodes.freePort();
    DbConfig nowhere = DbConfig.fromUrl("postgresql://postgres@127.0.0.1:" + closedPort + "/latchkey", 2, 500);
    Database.migrate(vertx, nowhere, "users").onComplete(ctx.failing(e -> ctx.verify(() -> {
      String line = StartupFailures.describe(new StartupException(plan(nowhere, 8081), e));
      assertThat(line).startsWith("user service: database unreachable at postgres@127.0.0.1:" + closedPort + "/latchkey (")
        .contains("scripts/pg.sh start")
        .doesNotContain("\n");
      ctx.completeNow();
    })));
  }

  @Test
  void aPoolQueryAgainstAClosedPortNamesTheUnreachableDatabase(Vertx vertx, VertxTestContext ctx) {
    int closedPort = TestNodes.freePort();
    DbConfig nowhere = DbConfig.fromUrl("postgresql://postgres@127.0.0.1:" + closedPort + "/latchkey", 2, 500);
    Pool pool = Database.pool(vertx, nowhere);
    pool.query("SELECT 1").execute().onComplete(ctx.failing(e -> ctx.verify(() -> {
      assertThat(StartupFailures.describe(new StartupException(plan(nowhere, 8081), e)))
        .startsWith("user service: database unreachable at postgres@127.0.0.1:" + closedPort + "/latchkey");
      pool.close();
      ctx.completeNow();
    })));
  }

  @Test
  void aMissingDatabaseIsNamedAsMissing(Vertx vertx, VertxTestContext ctx) {
    DbConfig server = TestPostgres.freshDatabase();
    DbConfig missing = new DbConfig(server.host(), server.port(), "no_such_database_here", server.user(),
      server.password(), 2, 2000);
    Database.migrate(vertx, missing, "users").onComplete(ctx.failing(e -> ctx.verify(() -> {
      assertThat(StartupFailures.describe(new StartupException(plan(missing, 8081), e)))
        .isEqualTo("user service: the database " + missing.describe() + " does not exist; create it or fix DATABASE_URL");
      ctx.completeNow();
    })));
  }

  @Test
  void aPortHeldByAnotherServerIsNamed(Vertx vertx, VertxTestContext ctx) {
    AtomicInteger taken = new AtomicInteger();
    vertx.createHttpServer().requestHandler(r -> r.response().end()).listen(0, "127.0.0.1")
      .compose(first -> {
        taken.set(first.actualPort());
        return vertx.createHttpServer().requestHandler(r -> r.response().end()).listen(taken.get(), "127.0.0.1");
      })
      .onComplete(ctx.failing(e -> ctx.verify(() -> {
        assertThat(StartupFailures.describe(new StartupException(plan(null, taken.get()), e)))
          .isEqualTo("user service: port " + taken.get()
            + " is already in use (another process listens there; stop it or configure another port)");
        ctx.completeNow();
      })));
  }

  @Test
  void anAddressThatIsNotThisMachinesIsNamedAsSuch() throws Exception {
    Exception failure;
    try (java.net.ServerSocket socket = new java.net.ServerSocket()) {
      // TEST-NET-1 (RFC 5737): never an address of this machine
      socket.bind(new java.net.InetSocketAddress("192.0.2.1", 0));
      throw new AssertionError("binding 192.0.2.1 should have failed");
    } catch (java.net.BindException e) {
      failure = e;
    }
    assertThat(StartupFailures.describe(new StartupException("cannot join the Hazelcast cluster latchkey on 192.0.2.1:5701+", failure)))
      .isEqualTo("cannot join the Hazelcast cluster latchkey on 192.0.2.1:5701+: cannot bind (" + failure.getMessage()
        + "); is the configured host or HAZELCAST_INTERFACE an address of this machine?")
      .doesNotContain("already in use");
  }

  @Test
  void anInvalidSettingIsReportedAsInvalidConfiguration() {
    IllegalArgumentException invalid = new IllegalArgumentException("invalid setting USER_HTTP_PORT=abc (expected an integer from 0 to 65535)");
    assertThat(StartupFailures.describe(invalid))
      .isEqualTo("invalid configuration: invalid setting USER_HTTP_PORT=abc (expected an integer from 0 to 65535)");
  }

  @Test
  void aStepWithoutAServiceKeepsItsOwnWordsAndTheCause() {
    StartupException step = new StartupException("cannot join the Hazelcast cluster latchkey on 127.0.0.1:5701+",
      new java.io.IOException("Cannot assign requested address\n  at somewhere"));
    assertThat(StartupFailures.describe(new java.util.concurrent.ExecutionException(step)))
      .isEqualTo("cannot join the Hazelcast cluster latchkey on 127.0.0.1:5701+ (Cannot assign requested address)");
  }
}
