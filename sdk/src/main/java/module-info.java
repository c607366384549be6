/**
 * The module-side client of the blvm protocol: connect and authenticate, subscribe to events, serve
 * methods to other modules, and call the typed NodeAPI. Depends on the protocol module only (plus
 * {@code jdk.security.auth} for the process's numeric uid).
 */
module org.blvm.sdk {
  requires transitive org.blvm.protocol;
  requires jdk.security.auth;

  exports org.blvm.sdk;
}
