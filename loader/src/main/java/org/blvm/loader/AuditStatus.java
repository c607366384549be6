package org.blvm.loader;

import java.util.Optional;

/**
 * The condition of the audit log ({@link ModuleManager#auditStatus()}).
 *
 * @param writing true while decisions reach the file; false after a write error, until a retry
 *     succeeds
 * @param linesLost decisions that could not be written because the file could not be (each gap is
 *     also recorded in the file, as a {@code {"gap": n}} line, once it can be written again)
 * @param linesDropped decisions not recorded because the queue was full (recorded as {@code
 *     {"dropped": n}} lines)
 * @param lastError the write error while {@code writing} is false
 */
public record AuditStatus(
    boolean writing, long linesLost, long linesDropped, Optional<String> lastError) {}
