/** bubblewrap + seccomp + rlimits; depends on JNA only. */
module org.blvm.sandbox {
  requires com.sun.jna;

  exports org.blvm.sandbox;
}
