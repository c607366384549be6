/**
 * A small in-memory chain ({@code SimulatedChain}: blocks mined on request, the same chain every
 * run) for the end-to-end tests and the benchmarks. The demo is {@code blvm-node --demo}.
 */
module org.blvm.demo {
  requires org.blvm.loader;

  exports org.blvm.demo;
}
