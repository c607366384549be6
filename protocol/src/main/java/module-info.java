/** The blvm wire protocol: frames, messages, catalogs. Depends on Jackson only. */
module org.blvm.protocol {
  requires transitive com.fasterxml.jackson.databind;
  requires com.fasterxml.jackson.dataformat.cbor;

  exports org.blvm.protocol;

  opens org.blvm.protocol to
      com.fasterxml.jackson.databind;
}
