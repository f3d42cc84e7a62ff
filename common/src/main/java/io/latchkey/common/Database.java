package io.latchkey.common;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Opens the reactive pool and runs a service's own Flyway migrations on its own schema. */
public final class Database {

  private static final Logger LOG = LoggerFactory.getLogger(Database.class);

  private Database() {
  }

  public static Pool pool(Vertx vertx, DbConfig config) {
    PoolOptions poolOptions = new PoolOptions()
      .setMaxSize(config.poolSize())
      .setMaxWaitQueueSize(1024)
      // a request waiting for a connection gives up instead of hanging while PostgreSQL is down
      .setConnectionTimeout(config.connectTimeoutMs())
      .setConnectionTimeoutUnit(java.util.concurrent.TimeUnit.MILLISECONDS)
      .setShared(true)
      .setName("latchkey-" + config.database() + "-" + config.host() + "-" + config.port());
    // in Vert.x 5 the connect timeout sits on the transport options, not on PgConnectOptions
    NetClientOptions transport = new NetClientOptions().setConnectTimeout(config.connectTimeoutMs());
    return PgBuilder.pool().with(poolOptions).with(transport).connectingTo(config.connectOptions()).using(vertx).build();
  }

  /**
   * Migrates {@code schema} from {@code classpath:db/<schema>} on a worker thread. Fails with a
   * one-line reason when the database cannot be reached.
   */
  public static Future<Integer> migrate(Vertx vertx, DbConfig config, String schema) {
    return vertx.executeBlocking(() -> migrateNow(config, schema), false);
  }

  /**
   * The same migration on the calling thread, without Vert.x (the launcher runs it beside the
   * cluster join). Blocks for the JDBC round trips; Flyway closes its connection. Returns the
   * number of migrations applied.
   */
  public static int migrateNow(DbConfig config, String schema) {
    Flyway flyway = Flyway.configure()
      .dataSource(config.jdbcUrl(), config.user(), config.password())
      .schemas(schema)
      .defaultSchema(schema)
      .createSchemas(true)
      .table("flyway_schema_history")
      .locations("classpath:db/" + schema)
      .connectRetries(0)
      .load();
    int applied = flyway.migrate().migrationsExecuted;
    LOG.info("schema {} on {}: {} migration(s) applied", schema, config.describe(), applied);
    return applied;
  }
}
