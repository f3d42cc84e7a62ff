package io.latchkey.launcher;

/** A startup step failed; carries what was being done so that the one-line message can name it. */
public final class StartupException extends RuntimeException {

  private final transient ServicePlan service;

  public StartupException(String message, Throwable cause) {
    super(message, cause);
    this.service = null;
  }

  public StartupException(ServicePlan service, Throwable cause) {
    super(service.name() + " failed to start", cause);
    this.service = service;
  }

  /** The service whose deployment failed, or null when the failure is not a service's. */
  public ServicePlan service() {
    return service;
  }
}
