package org.blvm.policy;

/**
 * Resource limits for a module's sandbox. {@code cpuSeconds == 0} means no CPU-time limit; every
 * other value is at least 1.
 */
public record ResourceLimits(
    int memoryMb, int cpuSeconds, int openFiles, int processes, int diskMb) {
  /** What a module gets when the policy says nothing. */
  public static final ResourceLimits DEFAULT = new ResourceLimits(512, 0, 256, 64, 1024);
}
