package org.blvm.testsupport;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.asn1.x509.V3TBSCertificateGenerator;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * A self-signed ECDSA P-256 server certificate made in memory for one test (its key never touches a
 * file): the certificate to trust ({@link #pem()}) and a server {@link SSLContext} presenting it.
 * Subject alternative names are {@code "ip:127.0.0.1"} or {@code "dns:localhost"}.
 */
public record TestCertificate(X509Certificate certificate, PrivateKey key) {

  /** A certificate valid from an hour ago for a day, for the given subject alternative names. */
  public static TestCertificate selfSigned(String... subjectAltNames)
      throws GeneralSecurityException, IOException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(256);
    KeyPair kp = g.generateKeyPair();
    AlgorithmIdentifier alg = new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256);
    X500Name name = new X500Name("CN=blvm test");
    long now = System.currentTimeMillis();
    V3TBSCertificateGenerator t = new V3TBSCertificateGenerator();
    t.setSerialNumber(new ASN1Integer(new BigInteger(64, new SecureRandom())));
    t.setSignature(alg);
    t.setIssuer(name);
    t.setSubject(name);
    t.setStartDate(new Time(new Date(now - 3_600_000L)));
    t.setEndDate(new Time(new Date(now + 86_400_000L)));
    t.setSubjectPublicKeyInfo(SubjectPublicKeyInfo.getInstance(kp.getPublic().getEncoded()));
    List<GeneralName> names = new ArrayList<>();
    for (String san : subjectAltNames) {
      if (san.startsWith("ip:")) {
        names.add(new GeneralName(GeneralName.iPAddress, san.substring(3)));
      } else if (san.startsWith("dns:")) {
        names.add(new GeneralName(GeneralName.dNSName, san.substring(4)));
      } else {
        throw new IllegalArgumentException("subject alt name needs ip: or dns:, found " + san);
      }
    }
    ExtensionsGenerator ext = new ExtensionsGenerator();
    ext.addExtension(
        Extension.subjectAlternativeName,
        false,
        new GeneralNames(names.toArray(new GeneralName[0])));
    t.setExtensions(ext.generate());
    TBSCertificate tbs = t.generateTBSCertificate();
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(kp.getPrivate());
    s.update(tbs.getEncoded(ASN1Encoding.DER));
    ASN1EncodableVector v = new ASN1EncodableVector();
    v.add(tbs);
    v.add(alg);
    v.add(new DERBitString(s.sign()));
    byte[] der = new DERSequence(v).getEncoded(ASN1Encoding.DER);
    X509Certificate cert =
        (X509Certificate)
            CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der));
    return new TestCertificate(cert, kp.getPrivate());
  }

  /** The certificate in PEM, as an operator would configure it as a trusted CA. */
  public String pem() throws GeneralSecurityException {
    return "-----BEGIN CERTIFICATE-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
            .encodeToString(certificate.getEncoded())
        + "\n-----END CERTIFICATE-----\n";
  }

  /** A TLS server context presenting this certificate. */
  public SSLContext serverContext() throws GeneralSecurityException, IOException {
    char[] pass = "test".toCharArray();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("server", key, pass, new java.security.cert.Certificate[] {certificate});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, pass);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    return ctx;
  }
}
