package io.wasmflight.server.internal.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.internal.guest.FlatMemory;
import io.wasmflight.server.internal.guest.GuestInstance;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Guest output with non-zero struct and column offsets (bit offsets not multiple of 8, utf8 offsets
 * not starting at 0, null validity) is read into exactly the expected vectors. The C Data is
 * written into a real guest's memory by this test, slot by slot, as a guest would.
 */
class OutputReaderTest {
  static final Schema SCHEMA =
      new Schema(
          List.of(
              Field.nullable("i64", new ArrowType.Int(64, true)),
              Field.nullable("i8", new ArrowType.Int(8, true)),
              Field.nullable("flag", ArrowType.Bool.INSTANCE),
              Field.nullable("text", ArrowType.Utf8.INSTANCE)));

  @ParameterizedTest(name = "struct offset {0}, column offset {1}, rows {2}")
  @CsvSource({"0,0,10", "0,1,10", "3,4,17", "8,0,8", "1,8,33", "5,13,64", "2,3,0", "0,7,1"})
  void readsOffsetsExactly(int structOffset, int columnOffset, int rows) {
    Random random = new Random(31L * structOffset + columnOffset + rows);
    Long[] ints = new Long[rows];
    Boolean[] flags = new Boolean[rows];
    String[] texts = new String[rows];
    for (int i = 0; i < rows; i++) {
      ints[i] = random.nextInt(4) == 0 ? null : random.nextLong();
      flags[i] = random.nextInt(4) == 0 ? null : random.nextBoolean();
      texts[i] = random.nextInt(4) == 0 ? null : "s" + random.nextInt(1000) + "é".repeat(i % 3);
    }
    int first = structOffset + columnOffset; // physical slot of row 0 in every column
    int length = first + rows; // column length counted from the column offset
    GuestInstance g = TestGuests.instance(64);
    CDataWriter w = new CDataWriter(g);
    FlatMemory m = g.memory();

    boolean[] intValid = new boolean[rows];
    int i64 = w.alloc(8 * (first + rows));
    int i8 = w.alloc(first + rows);
    for (int r = 0; r < rows; r++) {
      intValid[r] = ints[r] != null;
      if (ints[r] != null) {
        m.writeLong(i64 + 8 * (first + r), ints[r]);
        m.writeByte(i8 + first + r, (byte) (long) ints[r]);
      }
    }
    boolean[] flagValid = new boolean[rows];
    boolean[] flagValue = new boolean[rows];
    for (int r = 0; r < rows; r++) {
      flagValid[r] = flags[r] != null;
      flagValue[r] = flags[r] != null && flags[r];
    }
    // utf8: offsets start at 5 (bytes before belong to nobody), data follows.
    List<byte[]> bytes = new ArrayList<>();
    int total = 5;
    for (String t : texts) {
      byte[] b = t == null ? new byte[0] : t.getBytes(StandardCharsets.UTF_8);
      bytes.add(b);
      total += b.length;
    }
    int data = w.alloc(total);
    int offsets = w.alloc(4 * (first + rows + 1));
    int at = 5;
    boolean[] textValid = new boolean[rows];
    for (int r = 0; r < rows; r++) {
      m.writeI32(offsets + 4 * (first + r), at);
      m.write(data + at, bytes.get(r), 0, bytes.get(r).length);
      at += bytes.get(r).length;
      textValid[r] = texts[r] != null;
    }
    m.writeI32(offsets + 4 * (first + rows), at);

    int[] columns = {
      w.array(length, -1, columnOffset, new int[] {w.bitmap(first, intValid), i64}, new int[0]),
      // no validity bitmap: every i8 is valid, so the expectation below differs from i64
      w.array(length, 0, columnOffset, new int[] {0, i8}, new int[0]),
      w.array(
          length,
          -1,
          columnOffset,
          new int[] {w.bitmap(first, flagValid), w.bitmap(first, flagValue)},
          new int[0]),
      w.array(
          length,
          -1,
          columnOffset,
          new int[] {w.bitmap(first, textValid), offsets, data},
          new int[0])
    };
    int[] schemas = {
      w.schema("l", "i64", new int[0]),
      w.schema("c", "i8", new int[0]),
      w.schema("b", "flag", new int[0]),
      w.schema("u", "text", new int[0])
    };
    int topSchema = w.schema("+s", "", schemas);
    int topArray = w.array(rows, 0, structOffset, new int[] {0}, columns);

    try (BufferAllocator allocator = new RootAllocator();
        OutputReader reader = new OutputReader(g, allocator, 1 << 30, null);
        VectorSchemaRoot expected = VectorSchemaRoot.create(SCHEMA, allocator)) {
      expected.allocateNew();
      for (int r = 0; r < rows; r++) {
        BigIntVector e64 = (BigIntVector) expected.getVector(0);
        TinyIntVector e8 = (TinyIntVector) expected.getVector(1);
        if (ints[r] == null) {
          e64.setNull(r);
          e8.setSafe(r, 0); // written as zero bytes, valid (no bitmap)
        } else {
          e64.setSafe(r, ints[r]);
          e8.setSafe(r, (byte) (long) ints[r]);
        }
        if (flags[r] == null) {
          ((BitVector) expected.getVector(2)).setNull(r);
        } else {
          ((BitVector) expected.getVector(2)).setSafe(r, flags[r] ? 1 : 0);
        }
        if (texts[r] == null) {
          ((VarCharVector) expected.getVector(3)).setNull(r);
        } else {
          ((VarCharVector) expected.getVector(3))
              .setSafe(r, texts[r].getBytes(StandardCharsets.UTF_8));
        }
      }
      expected.setRowCount(rows);
      // Twice: the second read reuses the root's buffers.
      for (int pass = 0; pass < 2; pass++) {
        VectorSchemaRoot got = reader.read(topSchema, topArray, rows);
        assertEquals(expected.contentToTSVString(), got.contentToTSVString());
        assertTrue(expected.equals(got));
      }
    }
  }

  @ParameterizedTest
  @CsvSource({"4, 3", "0, 11"})
  void aColumnShorterThanTheBatchIsRefused(int columnLength, int rows) {
    GuestInstance g = TestGuests.instance(64);
    CDataWriter w = new CDataWriter(g);
    int values = w.alloc(8 * rows);
    int column = w.array(columnLength, 0, 0, new int[] {0, values}, new int[0]);
    int schema = w.schema("+s", "", new int[] {w.schema("l", "x", new int[0])});
    int array = w.array(rows, 0, 2, new int[] {0}, new int[] {column});
    try (BufferAllocator allocator = new RootAllocator();
        OutputReader reader = new OutputReader(g, allocator, 1 << 30, null)) {
      var e =
          assertThrows(
              WasmFlightException.AbiViolation.class, () -> reader.read(schema, array, rows));
      assertTrue(e.getMessage().contains("is shorter than the batch"), e.getMessage());
    }
  }

  @ParameterizedTest
  @CsvSource({"1000, 100"})
  void theOutputLimitIsCheckedBeforeAllocating(int rows, long limit) {
    GuestInstance g = TestGuests.instance(64);
    CDataWriter w = new CDataWriter(g);
    int column = w.array(rows, 0, 0, new int[] {0, w.alloc(8 * rows)}, new int[0]);
    int schema = w.schema("+s", "", new int[] {w.schema("l", "x", new int[0])});
    int array = w.array(rows, 0, 0, new int[] {0}, new int[] {column});
    try (BufferAllocator allocator = new RootAllocator();
        OutputReader reader = new OutputReader(g, allocator, limit, null)) {
      var e =
          assertThrows(
              WasmFlightException.LimitExceeded.class, () -> reader.read(schema, array, rows));
      assertTrue(e.getMessage().contains("more than 100 bytes"), e.getMessage());
      assertEquals(0, allocator.getAllocatedMemory());
    }
  }
}
