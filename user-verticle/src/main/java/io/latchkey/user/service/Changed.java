package io.latchkey.user.service;

import io.latchkey.common.audit.AuditEvent;
import io.latchkey.user.model.User;
import io.latchkey.user.outbox.OutboxRelay;
import io.vertx.core.Future;

/**
 * What a committed change left behind: the user as it now is, the id of its notice for the auth
 * service (null when nothing changed that the auth service must hear of) and its audit event
 * (null when nothing changed).
 */
record Changed(User user, Long eventId, AuditEvent audit) {

  /** The user, once the auth service acknowledged the notice or the notice wait bound passed. */
  Future<User> awaited(OutboxRelay relay, String requestId) {
    if (eventId == null) {
      return Future.succeededFuture(user);
    }
    return relay.deliverAndAwait(user.id(), eventId, requestId).map(user);
  }
}
