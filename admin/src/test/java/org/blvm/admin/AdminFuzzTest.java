package org.blvm.admin;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Coverage-guided fuzz targets (Jazzer) for the admin socket's input side: {@link
 * RequestDecoder#decode} of one request line, and {@link LineReader} cutting a client's byte stream
 * into lines that are then decoded. Invariants:
 *
 * <ul>
 *   <li>only {@link AdminException} escapes the decoder, with code {@code BAD_REQUEST} or {@code
 *       TOO_LARGE} and a message of at most {@link #MAX_REASON} characters that never quotes more
 *       than {@link Text#MAX_QUOTED} consecutive characters of the input (a character escaped as
 *       {@code \\uXXXX} counting as one); its request id is one the request could carry;
 *   <li>a request that decodes re-encodes ({@link AdminRequest#encode}) to one line that decodes to
 *       the same request, and encoding that again gives the same bytes;
 *   <li>the same input padded beyond {@link AdminProtocol#MAX_REQUEST_BYTES} is {@code TOO_LARGE};
 *   <li>the line reader returns exactly the input's lines, refuses a line over its bound with
 *       {@link LineReader.LineTooLongException} and a stream ending inside a line with {@link
 *       EOFException}, and nothing else escapes it.
 * </ul>
 *
 * <p>Regression inputs: {@code src/test/resources/org/blvm/admin/AdminFuzzTestInputs/<method>/};
 * {@code fuzz/run} fuzzes both with libFuzzer's limit of 1 s per input.
 */
final class AdminFuzzTest {
  /**
   * The longest message the decoder may give: its longest fixed text (about 100 characters, or a
   * JSON reader limit's own message), plus one quote of 64 characters each escaped to at most 6.
   */
  static final int MAX_REASON = 256 + Text.MAX_QUOTED * 6;

  private static final Pattern ESCAPE = Pattern.compile("\\\\u[0-9a-fA-F]{4}");

  /**
   * The fixed text of the decoder's messages: the fuzzer learns it and writes it into inputs, so a
   * run of the input within it is not a quote.
   */
  private static final List<String> PHRASES =
      List.of(
          "not valid JSON: ",
          "over a limit of the JSON reader: ",
          "an empty line is not a request",
          "a request is a JSON object, found ",
          "unknown key ",
          " (a request has id, command and args)",
          "missing key ",
          "\"id\" must be an integer from 0 to 2^53-1, found ",
          "\"command\" must be a command name such as \"modules.list\", found ",
          "\"args\" must be an object, found ",
          "an array ",
          "an object ",
          "a number ",
          "a boolean ");

  private static final Set<AdminErrorCode> CODES =
      Set.of(AdminErrorCode.BAD_REQUEST, AdminErrorCode.TOO_LARGE);

  @MethodSource("seeds")
  @FuzzTest
  void decode(byte[] input) {
    AdminRequest request = decodeChecked(input);
    if (request != null) {
      assertRoundTrip(request);
    }
    AdminException over = refusal(Arrays.copyOf(input, AdminProtocol.MAX_REQUEST_BYTES));
    assertEquals(AdminErrorCode.TOO_LARGE, over.code(), over.getMessage());
  }

  /**
   * The first byte picks the size of the short reads (1 to 16 bytes), the second the line bound (1
   * to 256 bytes with the newline); the rest is the client's stream.
   */
  @MethodSource("streams")
  @FuzzTest
  void lines(byte[] input) throws IOException {
    if (input.length < 2) {
      return;
    }
    int chunk = 1 + (input[0] & 0x0f);
    int max = 1 + (input[1] & 0xff);
    byte[] stream = Arrays.copyOfRange(input, 2, input.length);
    int[] at = {0};
    LineReader reader =
        new LineReader(
            (buffer, offset, length) -> {
              if (at[0] == stream.length) {
                return -1;
              }
              int n = Math.min(Math.min(length, chunk), stream.length - at[0]);
              System.arraycopy(stream, at[0], buffer, offset, n);
              at[0] += n;
              return n;
            });
    int consumed = 0;
    while (true) {
      int nl = indexOf(stream, (byte) '\n', consumed);
      int lineEnd = nl < 0 ? stream.length : nl;
      byte[] line;
      try {
        line = reader.readLine(max);
      } catch (LineReader.LineTooLongException e) {
        assertEquals(max, e.limit());
        assertTrue(lineEnd - consumed > max - 1, "a line of " + (lineEnd - consumed) + " refused");
        return;
      } catch (EOFException e) {
        assertTrue(nl < 0 && lineEnd > consumed, "EOF at " + consumed + " of " + stream.length);
        assertTrue(lineEnd - consumed <= max - 1, "an overlong last line not refused as such");
        return;
      }
      if (consumed == stream.length) {
        assertNull(line, "a line after the end of the stream");
        assertEquals(0, reader.pending());
        return;
      }
      assertTrue(nl >= 0, "a line without its newline was returned");
      assertArrayEquals(Arrays.copyOfRange(stream, consumed, nl), line);
      assertTrue(line.length <= max - 1, "a line of " + line.length + " over " + max);
      consumed = nl + 1;
      AdminRequest request = decodeChecked(line);
      if (request != null) {
        assertRoundTrip(request);
      }
    }
  }

  /** The decoded request, or null when it was refused as documented. */
  private static AdminRequest decodeChecked(byte[] line) {
    try {
      return RequestDecoder.decode(line);
    } catch (AdminException e) {
      checkRefusal(line, e);
      return null;
    }
  }

  /** The refusal of an over-long line: only its code and message, it quotes nothing. */
  private static AdminException refusal(byte[] line) {
    try {
      RequestDecoder.decode(line);
    } catch (AdminException e) {
      assertTrue(e.reason().length() <= MAX_REASON, e.reason());
      return e;
    }
    throw new AssertionError(line.length + " bytes decoded");
  }

  private static void checkRefusal(byte[] line, AdminException e) {
    assertTrue(CODES.contains(e.code()), "code " + e.code());
    String reason = e.reason();
    if (reason.isBlank()) {
      fail("an error without a message", e);
    }
    assertTrue(reason.length() <= MAX_REASON, reason.length() + " characters: " + reason);
    e.requestId()
        .ifPresent(id -> assertTrue(id <= AdminProtocol.MAX_ID, "id " + id + " out of range"));
    assertEquals(null, e.details(), "details on a decoding error");
    String quoted = longestInputRun(new String(line, UTF_8), reason);
    assertTrue(
        quoted.isEmpty(),
        "the message quotes more than " + Text.MAX_QUOTED + " characters of the input: " + reason);
  }

  private static void assertRoundTrip(AdminRequest request) {
    byte[] line = request.encode();
    assertEquals('\n', line[line.length - 1]);
    assertEquals(line.length - 1, indexOf(line, (byte) '\n', 0), "a newline inside the line");
    AdminRequest again;
    try {
      again = RequestDecoder.decode(Arrays.copyOf(line, line.length - 1));
    } catch (AdminException e) {
      throw new AssertionError("the re-encoding " + new String(line, UTF_8) + " is refused", e);
    }
    assertEquals(request, again, "the request changed on a round trip");
    assertArrayEquals(line, again.encode(), "the encoding is not stable");
  }

  /**
   * A run of more than {@link Text#MAX_QUOTED} characters of {@code input} that {@code message}
   * holds, with the quotes around it, or "" when there is none; the decoder's own phrases ({@link
   * #PHRASES}) in the message do not count. Both sides are compared with every {@code \\uXXXX}
   * escape counted as one character: the message escapes control characters that way, and a JSON
   * input may spell any character so.
   */
  private static String longestInputRun(String input, String message) {
    String in = ESCAPE.matcher(input).replaceAll("\uE000");
    String msg = ESCAPE.matcher(message).replaceAll("\uE000");
    for (String phrase : PHRASES) {
      msg = msg.replace(phrase, "\uE001"); // the decoder's own words are not the input's
    }
    int want = Text.MAX_QUOTED + 3; // 64 characters and a quote on each side are allowed
    // a set of the message's windows: linear in the input, and no string comparison in this
    // (instrumented) class that would hand the fuzzer the message's text
    Set<String> windows = new HashSet<>();
    for (int j = 0; j + want <= msg.length(); j++) {
      windows.add(msg.substring(j, j + want));
    }
    for (int i = 0; !windows.isEmpty() && i + want <= in.length(); i++) {
      String w = in.substring(i, i + want);
      if (windows.contains(w)) {
        return w;
      }
    }
    return "";
  }

  private static int indexOf(byte[] bytes, byte b, int from) {
    for (int i = from; i < bytes.length; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    return -1;
  }

  static Stream<byte[]> seeds() {
    return Stream.of(
            "{\"id\":7,\"command\":\"modules.status\",\"args\":{\"module\":\"lightning\"}}",
            "{\"command\":\"modules.list\",\"id\":0}",
            "{\"id\":9007199254740991,\"command\":\"logs\",\"args\":{\"module\":\"a\",\"follow\":true,"
                + "\"lines\":200,\"ratio\":0.5,\"tags\":[1,\"x\",null,{\"k\":[]}]}}",
            "{\"id\":1,\"command\":\"a\",\"id\":2}",
            "{\"id\":1,\"command\":\"a\"} {}",
            "{\"id\":1,\"command\":\"" + "x".repeat(100) + "\"}",
            "{\"id\":1e3,\"command\":\"a.b.c.d\",\"args\":{\"s\":\"\\u0000\\ud800\"}}",
            "[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]",
            "")
        .map(s -> s.getBytes(UTF_8));
  }

  static Stream<byte[]> streams() {
    return seeds()
        .map(
            s -> {
              byte[] b = new byte[s.length * 2 + 4];
              b[0] = 6;
              b[1] = (byte) 0xff;
              System.arraycopy(s, 0, b, 2, s.length);
              b[2 + s.length] = '\n';
              System.arraycopy(s, 0, b, 3 + s.length, s.length);
              b[b.length - 1] = '\n';
              return b;
            });
  }
}
