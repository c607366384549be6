/**
 * The module-side client of the blvm protocol: connect and authenticate, subscribe to events, serve
 * methods to other modules, and call the typed NodeAPI. Depends on the protocol module, junixsocket
 * (the socket: it receives the descriptors of brokered network sockets, which the JDK's UNIX-domain
 * channel cannot) and {@code jdk.security.auth} (the process's numeric uid).
 */
module org.blvm.sdk {
  requires transitive org.blvm.protocol;
  requires jdk.security.auth;
  requires org.newsclub.net.unix;

  exports org.blvm.sdk;
}
