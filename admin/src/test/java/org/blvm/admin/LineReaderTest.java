package org.blvm.admin;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.ArrayDeque;
import java.util.Deque;
import org.junit.jupiter.api.Test;

class LineReaderTest {
  @Test
  void readLine_splitsOnNewlines_nullAtTheEnd() throws Exception {
    LineReader r = new LineReader(new ByteArrayInputStream("a\n\nbc\n".getBytes(UTF_8))::read);
    assertArrayEquals("a".getBytes(UTF_8), r.readLine(10));
    assertArrayEquals(new byte[0], r.readLine(10));
    assertArrayEquals("bc".getBytes(UTF_8), r.readLine(10));
    assertNull(r.readLine(10));
  }

  @Test
  void readLine_exactlyAtTheBoundWithNewline_acceptedOneMoreRefused() throws Exception {
    LineReader ok = new LineReader(new ByteArrayInputStream("abc\n".getBytes(UTF_8))::read);
    assertArrayEquals("abc".getBytes(UTF_8), ok.readLine(4));
    LineReader over = new LineReader(new ByteArrayInputStream("abcd\n".getBytes(UTF_8))::read);
    LineReader.LineTooLongException e =
        assertThrows(LineReader.LineTooLongException.class, () -> over.readLine(4));
    assertEquals(4, e.limit());
  }

  @Test
  void readLine_longLineWithoutNewline_refusedBeforeItEnds() {
    byte[] endless = new byte[1 << 20];
    LineReader r = new LineReader(new ByteArrayInputStream(endless)::read);
    assertThrows(LineReader.LineTooLongException.class, () -> r.readLine(65536));
  }

  @Test
  void readLine_endInsideALine_eof() {
    LineReader r = new LineReader(new ByteArrayInputStream("abc".getBytes(UTF_8))::read);
    assertThrows(EOFException.class, () -> r.readLine(10));
  }

  @Test
  void readLine_timeoutMidLine_nextCallCarriesOn() throws Exception {
    Deque<Object> script = new ArrayDeque<>();
    script.add("ab");
    script.add(new SocketTimeoutException());
    script.add("c\nd\n");
    LineReader r =
        new LineReader(
            (buf, off, len) -> {
              Object next = script.poll();
              if (next == null) {
                return -1;
              }
              if (next instanceof IOException e) {
                throw e;
              }
              byte[] b = ((String) next).getBytes(UTF_8);
              System.arraycopy(b, 0, buf, off, b.length);
              return b.length;
            });
    assertThrows(SocketTimeoutException.class, () -> r.readLine(10));
    assertEquals(2, r.pending());
    assertArrayEquals("abc".getBytes(UTF_8), r.readLine(10));
    assertArrayEquals("d".getBytes(UTF_8), r.readLine(10));
  }
}
