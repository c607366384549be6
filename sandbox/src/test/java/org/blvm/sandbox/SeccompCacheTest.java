package org.blvm.sandbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Each launch gets its own sealed copy of the filter compiled once per profile and capabilities.
 */
class SeccompCacheTest {
  static byte[] readAll(int fd) throws NativeException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    for (int n; (n = Libc.read(fd, buf)) > 0; ) {
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  @Test
  void compileToMemfd_sealedCopyOfTheCompiledFilter_oneDescriptorPerLaunch() throws Exception {
    Profile p = Profile.named("default");
    int a = p.compileToMemfd(Set.of());
    int b = Profile.named("default").compileToMemfd(Set.of());
    try {
      assertNotEquals(a, b);
      assertEquals(Libc.SEALED, Libc.seals(a) & Libc.SEALED);
      byte[] fresh = p.compileFresh(Set.of());
      assertArrayEquals(fresh, readAll(a));
      assertArrayEquals(fresh, readAll(b));
      // nobody holding the descriptor can change what the next reader gets
      NativeException e = assertThrows(NativeException.class, () -> Libc.write(a, new byte[8]));
      assertEquals(1, e.errno()); // EPERM: F_SEAL_WRITE
    } finally {
      Libc.closeQuietly(a);
      Libc.closeQuietly(b);
    }
  }

  @Test
  void compileToMemfd_capabilitiesSelectTheirOwnFilter() throws Exception {
    Profile p = Profile.named("default");
    int plain = p.compileToMemfd(Set.of());
    int network = p.compileToMemfd(Set.of("network"));
    try {
      assertArrayEquals(p.compileFresh(Set.of()), readAll(plain));
      assertArrayEquals(p.compileFresh(Set.of("network")), readAll(network));
    } finally {
      Libc.closeQuietly(plain);
      Libc.closeQuietly(network);
    }
  }
}
