package org.blvm.policy;

/**
 * Why a module was not admitted. Every subtype carries the facts as fields; its message names the
 * module or file, the value that was expected and the value that was found, and never a secret.
 * Rejections are checked so that a caller cannot forget that admission can say no.
 */
public abstract sealed class AdmissionException extends Exception
    permits ManifestException,
        ManifestTooLargeException,
        UnsignedModuleException,
        MalformedSignatureException,
        SignatureKeyException,
        ThresholdNotMetException,
        TrustedCommentMismatchException,
        BinaryException,
        FileTreeException,
        RollbackException,
        RollbackRefusedException,
        DataVersionException,
        VersionReusedException,
        CapabilityNotAllowedException,
        AdmissionStateException {
  private static final long serialVersionUID = 1L;

  AdmissionException(String message) {
    super(message);
  }

  AdmissionException(String message, Throwable cause) {
    super(message, cause);
  }
}
