/**
 * blvm-sign and blvm-loader: thin command lines over org.blvm.policy and the node's admin protocol
 * (org.blvm.admin).
 */
module org.blvm.sign {
  requires org.blvm.policy;
  requires org.blvm.admin;
  requires info.picocli;

  exports org.blvm.sign;

  opens org.blvm.sign to
      info.picocli;
}
