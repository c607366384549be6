package org.blvm.protocol;

/**
 * Bounds applied while reading a frame, before anything is allocated for it.
 *
 * @param maxFrameBytes largest accepted frame payload (the length prefix is checked first)
 * @param maxStringBytes largest text or byte string
 * @param maxContainerEntries most entries in one array or map
 * @param maxItems most CBOR data items in one frame, all levels together
 * @param maxDepth deepest nesting of arrays and maps
 */
public record Limits(
    int maxFrameBytes, int maxStringBytes, int maxContainerEntries, int maxItems, int maxDepth) {

  /** 16 MiB frames, 1 MiB strings, 100,000 entries per container, 500,000 items, depth 32. */
  public static final Limits DEFAULT = new Limits(16 << 20, 1 << 20, 100_000, 500_000, 32);

  public Limits {
    if (maxFrameBytes < 64) {
      throw new IllegalArgumentException("maxFrameBytes must be >= 64, found " + maxFrameBytes);
    }
    if (maxStringBytes < 1 || maxContainerEntries < 1 || maxItems < 1 || maxDepth < 2) {
      throw new IllegalArgumentException("limits must be positive (maxDepth >= 2)");
    }
  }

  public Limits withMaxFrameBytes(int bytes) {
    return new Limits(bytes, maxStringBytes, maxContainerEntries, maxItems, maxDepth);
  }
}
