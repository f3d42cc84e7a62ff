package io.latchkey.common;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The deployments a service module made, undone last-first. */
public final class Deployments {

  private static final Logger LOG = LoggerFactory.getLogger(Deployments.class);

  private Deployments() {
  }

  /**
   * Takes every id out of {@code deployments} (guarded by the list itself) and undeploys them in
   * reverse order, one after another. A failed undeploy is logged and does not stop the rest.
   */
  public static Future<Void> undeployInReverse(Vertx vertx, List<String> deployments) {
    List<String> ids;
    synchronized (deployments) {
      ids = new ArrayList<>(deployments);
      deployments.clear();
    }
    Collections.reverse(ids);
    Future<Void> chain = Future.succeededFuture();
    for (String id : ids) {
      chain = chain.compose(v -> vertx.undeploy(id).recover(err -> {
        LOG.warn("undeploying {} failed: {}", id, err.toString());
        return Future.succeededFuture();
      }));
    }
    return chain;
  }
}
