/** Module manifests, signatures, operator policy and the admission decision. */
module org.blvm.policy {
  requires transitive org.blvm.protocol;
  requires com.fasterxml.jackson.dataformat.toml;

  exports org.blvm.policy;
}
