package io.latchkey.common;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Process-wide readiness facts shared by the launcher and the verticles: whether the node's
 * consumers are registered and a bus round trip has worked, and whether it is draining.
 */
public final class NodeState {

  private final String nodeId;
  private final AtomicBoolean busReady = new AtomicBoolean(false);
  private final AtomicBoolean draining = new AtomicBoolean(false);

  public NodeState(String nodeId) {
    this.nodeId = nodeId;
  }

  public String nodeId() {
    return nodeId;
  }

  public boolean busReady() {
    return busReady.get();
  }

  public void markBusReady() {
    busReady.set(true);
  }

  public boolean draining() {
    return draining.get();
  }

  public void startDraining() {
    draining.set(true);
  }
}
