/** Module manifests, minisign signatures, the operator policy and the admission decision. */
module org.blvm.policy {
  requires transitive org.blvm.protocol;
  requires com.fasterxml.jackson.dataformat.toml;
  requires org.bouncycastle.provider;
  requires com.sun.jna;

  exports org.blvm.policy;
}
