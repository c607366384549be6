/** The demo node: a simulated chain driving modules through the loader. */
module org.blvm.demo {
  requires org.blvm.loader;
  requires info.picocli;

  opens org.blvm.demo to
      info.picocli;

  exports org.blvm.demo;
}
