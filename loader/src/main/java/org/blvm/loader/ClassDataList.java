package org.blvm.loader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The class list a module jar's class-data archive is dumped from ({@link ClassDataArchives}): the
 * JDK's default list and the classes the SDK loads before its hello, a list that ships with the
 * loader ({@value #SDK_LIST}). Nothing in the module's jar or anything the module ran decides what
 * is in it.
 */
final class ClassDataList {
  static final int MAX_CLASSES = 50_000;

  /** The loader's resource naming the classes the SDK loads from a JVM's start to its hello. */
  static final String SDK_LIST = "sdk-classlist";

  private static final Pattern CLASS_NAME = Pattern.compile("[A-Za-z0-9_$]+(/[A-Za-z0-9_$]+)*");

  private ClassDataList() {}

  /**
   * The class list: the JDK's default list (its {@code lib/classlist}, its lambda lines included:
   * they come with the JDK), then the names of {@link #sdkClasses()} not already in it; at most
   * {@value #MAX_CLASSES}. A name the module's jar and the JDK do not hold is skipped by the dump.
   */
  static List<String> of(Path jdkClassList) throws IOException {
    Set<String> names = new LinkedHashSet<>();
    if (Files.isRegularFile(jdkClassList)) {
      for (String line : Files.readAllLines(jdkClassList, StandardCharsets.UTF_8)) {
        String l = line.strip();
        // the JDK's own lambda lines (@lambda-proxy, @lambda-form-invoker) too: trusted input
        if (l.startsWith("@") || CLASS_NAME.matcher(l).matches()) {
          names.add(l);
        }
      }
    }
    names.addAll(sdkClasses());
    if (names.size() > MAX_CLASSES) {
      throw new IOException("the class list holds more than " + MAX_CLASSES + " names");
    }
    return new ArrayList<>(names);
  }

  /**
   * The classes the SDK loads before its hello, from the loader's own resource: class names only
   * (comments and blank lines skipped; anything else is a defect of the loader's build).
   */
  static List<String> sdkClasses() throws IOException {
    List<String> out = new ArrayList<>();
    try (InputStream in = ClassDataList.class.getResourceAsStream(SDK_LIST)) {
      if (in == null) {
        throw new IOException("the loader's " + SDK_LIST + " resource is missing");
      }
      String text = new String(in.readNBytes(4 << 20), StandardCharsets.UTF_8);
      for (String line : text.split("\n", -1)) {
        String l = line.strip();
        if (l.isEmpty() || l.startsWith("#")) {
          continue;
        }
        if (!CLASS_NAME.matcher(l).matches()) {
          throw new IOException("the loader's " + SDK_LIST + " names no class: " + l);
        }
        out.add(l);
      }
    }
    return out;
  }
}
