package io.wasmflight.server.internal.abi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasmflight.server.internal.abi.CDataFormat.Kind;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every format string of types.md parses to its layout and prints back identically. */
class CDataFormatTest {
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "n|NULL|0",
        "b|BOOL|2",
        "c|FIXED|2",
        "C|FIXED|2",
        "s|FIXED|2",
        "S|FIXED|2",
        "i|FIXED|2",
        "I|FIXED|2",
        "l|FIXED|2",
        "L|FIXED|2",
        "e|FIXED|2",
        "f|FIXED|2",
        "g|FIXED|2",
        "d:38,3|FIXED|2",
        "d:5,-2|FIXED|2",
        "d:76,10,256|FIXED|2",
        "tdD|FIXED|2",
        "tdm|FIXED|2",
        "tts|FIXED|2",
        "ttm|FIXED|2",
        "ttu|FIXED|2",
        "ttn|FIXED|2",
        "tss:|FIXED|2",
        "tsm:UTC|FIXED|2",
        "tsu:Europe/Paris|FIXED|2",
        "tsn:+05:30|FIXED|2",
        "tDs|FIXED|2",
        "tDm|FIXED|2",
        "tDu|FIXED|2",
        "tDn|FIXED|2",
        "tiM|FIXED|2",
        "tiD|FIXED|2",
        "tin|FIXED|2",
        "u|BINARY|3",
        "z|BINARY|3",
        "U|BINARY|3",
        "Z|BINARY|3",
        "w:7|FIXED|2",
        "vu|VIEW|3",
        "vz|VIEW|3",
        "+l|LIST|2",
        "+L|LIST|2",
        "+w:3|FIXED_LIST|1",
        "+vl|LIST_VIEW|3",
        "+vL|LIST_VIEW|3",
        "+s|STRUCT|1",
        "+m|LIST|2",
        "+ud:0,5,127|DENSE_UNION|2",
        "+us:3|SPARSE_UNION|1",
        "+us:|SPARSE_UNION|1",
        "+r|RUN_END|0"
      })
  void parsesAndPrintsBack(String format, Kind kind, int buffers) {
    CDataFormat f = CDataFormat.parse(format, 0);
    assertEquals(kind, f.kind());
    assertEquals(buffers, f.bufferCount());
    assertEquals(format, CDataFormat.of(f.type()).format());
  }

  @Test
  void widthsAndFlags() {
    assertEquals(16, CDataFormat.parse("d:10,2", 0).width());
    assertEquals(32, CDataFormat.parse("d:10,2,256", 0).width());
    assertEquals("d:10,2", CDataFormat.parse("d:10,2,128", 0).format().substring(0, 6));
    assertEquals(16, CDataFormat.parse("tin", 0).width());
    assertEquals(8, CDataFormat.parse("+L", 0).width());
    assertEquals(3, CDataFormat.parse("+w:3", 0).width());
    assertEquals(
        new ArrowType.Map(true), CDataFormat.parse("+m", AbiV1.FLAG_MAP_KEYS_SORTED).type());
    assertEquals(
        new ArrowType.Timestamp(org.apache.arrow.vector.types.TimeUnit.SECOND, null),
        CDataFormat.parse("tss:", 0).type());
    assertEquals(1, CDataFormat.parse("+ud:4,9", 0).childOfTypeId(9));
    assertEquals(-1, CDataFormat.parse("+ud:4,9", 0).childOfTypeId(5));
    assertTrue(CDataFormat.parse("C", 0).isDictionaryIndex());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "q",
        "d:",
        "d:5",
        "d:0,1",
        "d:39,1",
        "d:77,1,256",
        "d:5,2,32",
        "d:5,2,64",
        "d:5,2,100",
        "w:0",
        "w:-1",
        "w:x",
        "+w:0",
        "+ud:1,1",
        "+ud:128",
        "+us:-1",
        "tsx:UTC",
        "ttx",
        "+x",
        "d:1,2,3,4",
        "w:99999999999"
      })
  void refusesWhatItCannotCarry(String format) {
    assertThrows(CDataFormat.UnsupportedFormat.class, () -> CDataFormat.parse(format, 0));
  }

  @Test
  void decimal32And64SayWhy() {
    var e =
        assertThrows(CDataFormat.UnsupportedFormat.class, () -> CDataFormat.parse("d:5,2,32", 0));
    assertTrue(e.getMessage().contains("Arrow Java 19 cannot represent"), e.getMessage());
  }
}
