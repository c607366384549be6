package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassDataListTest {
  @TempDir Path tmp;

  @Test
  void classList_jdkListThenTheSdkList_eachNameOnce() throws Exception {
    Path jdkList =
        Files.writeString(
            tmp.resolve("classlist"),
            "# comment\njava/lang/Object\n@lambda-proxy java/lang/X run ()V\nbad name\n"
                + "org/blvm/sdk/ModuleClient\n");
    List<String> list = ClassDataList.of(jdkList);
    assertEquals(
        List.of(
            "java/lang/Object", "@lambda-proxy java/lang/X run ()V", "org/blvm/sdk/ModuleClient"),
        list.subList(0, 3));
    assertFalse(list.contains("bad name"));
    assertEquals(list.size(), new HashSet<>(list).size(), "each name once");
    assertTrue(list.containsAll(ClassDataList.sdkClasses()));
    assertEquals(
        3 + ClassDataList.sdkClasses().size() - 2, // Object and ModuleClient are in both
        list.size());
  }

  @Test
  void sdkList_namesTheSdksStart_andNoLambdaLine() throws Exception {
    List<String> sdk = ClassDataList.sdkClasses();
    assertTrue(sdk.contains("org/blvm/sdk/ModuleClient"), "the SDK's entry point");
    assertTrue(sdk.contains("org/newsclub/net/unix/AFUNIXSocket"), "junixsocket");
    assertTrue(sdk.stream().noneMatch(n -> n.startsWith("@")), "no lambda line from the list");
    assertTrue(sdk.size() < ClassDataList.MAX_CLASSES);
  }

  @Test
  void missingJdkList_theSdkListAlone() throws Exception {
    assertEquals(ClassDataList.sdkClasses(), ClassDataList.of(tmp.resolve("absent")));
  }
}
