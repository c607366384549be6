/** The reference node host: the simulated chain backend and its driver. */
module org.blvm.node {
  requires transitive org.blvm.loader;
  requires transitive org.blvm.protocol;
  requires com.fasterxml.jackson.dataformat.toml;

  exports org.blvm.node;
}
