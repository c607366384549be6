/** blvm-sign and blvm-loader policy check: thin command lines over org.blvm.policy. */
module org.blvm.sign {
  requires org.blvm.policy;
  requires info.picocli;

  exports org.blvm.sign;

  opens org.blvm.sign to
      info.picocli;
}
