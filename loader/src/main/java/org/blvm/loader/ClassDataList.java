package org.blvm.loader;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/** The class list a module jar's class-data archive is dumped from ({@link ClassDataArchives}). */
final class ClassDataList {
  static final int MAX_CLASSES = 50_000;
  private static final Pattern CLASS_NAME = Pattern.compile("[A-Za-z0-9_$]+(/[A-Za-z0-9_$]+)*");

  private ClassDataList() {}

  /**
   * The class list: the JDK's default list (its {@code lib/classlist}, its lambda lines included)
   * and every class file of {@code jar} by name (never a lambda line from the jar), including those
   * of a multi-release jar's versioned directories, by name; at most {@value #MAX_CLASSES}.
   */
  static List<String> of(Path jdkClassList, Path jar) throws IOException {
    Set<String> names = new TreeSet<>();
    List<String> out = new ArrayList<>();
    if (Files.isRegularFile(jdkClassList)) {
      for (String line : Files.readAllLines(jdkClassList, StandardCharsets.UTF_8)) {
        String l = line.strip();
        // the JDK's own lambda lines (@lambda-proxy, @lambda-form-invoker) too: trusted input
        if ((l.startsWith("@") || CLASS_NAME.matcher(l).matches()) && names.add(l)) {
          out.add(l);
        }
      }
    }
    try (ZipInputStream z = new ZipInputStream(Files.newInputStream(jar))) {
      for (ZipEntry e; (e = z.getNextEntry()) != null; ) {
        String n = e.getName();
        if (n.startsWith("META-INF/versions/")) {
          int slash = n.indexOf('/', "META-INF/versions/".length());
          n = slash < 0 ? "" : n.substring(slash + 1);
        }
        if (!n.endsWith(".class")) {
          continue;
        }
        n = n.substring(0, n.length() - ".class".length());
        if (CLASS_NAME.matcher(n).matches()
            && !n.endsWith("module-info")
            && !n.endsWith("package-info")
            && names.add(n)) {
          out.add(n);
          if (out.size() > MAX_CLASSES) {
            throw new IOException(jar + " holds more than " + MAX_CLASSES + " classes");
          }
        }
      }
    }
    return out;
  }
}
