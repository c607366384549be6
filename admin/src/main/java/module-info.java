/**
 * The node's admin protocol (docs/admin.md): one JSON object per line over a Unix socket. The
 * request decoder, the response shapes and a client. Depends on Jackson only (the client uses the
 * JDK's Unix sockets).
 */
module org.blvm.admin {
  requires transitive com.fasterxml.jackson.databind;

  exports org.blvm.admin;
}
