/** The node-side module loader: discovery, IPC server, dispatch, events, lifecycle. */
module org.blvm.loader {
  requires transitive org.blvm.protocol;
  requires transitive org.blvm.policy;
  requires org.newsclub.net.unix;
  requires com.fasterxml.jackson.dataformat.toml;
  requires jdk.unsupported;
  requires static com.google.errorprone.annotations; // @GuardedBy
  requires com.sun.jna; // SocketSend: send(2) of a direct response write
  requires transitive org.blvm.sandbox;

  exports org.blvm.loader;
}
