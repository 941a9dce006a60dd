package io.wasmflight.server.internal.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.internal.abi.AbiV1;
import io.wasmflight.server.internal.guest.FlatMemory;
import io.wasmflight.server.internal.guest.GuestInstance;
import java.util.function.Consumer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.compare.VectorEqualsVisitor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The writer and reader on every nested layout: a batch written by {@link InputWriter} and read
 * back from the same structs (what the echo guest does) is equal to the input; a corruption of any
 * layout rule is refused with an error naming the column path and the problem.
 */
class NestedOutputTest {
  /** A guest with a nested batch written by the host, and the output slots pointing at it. */
  static final class Written {
    final GuestInstance g = TestGuests.instance(256);
    final InputWriter writer;
    final int out;

    Written(NestedBatch batch) {
      writer = new InputWriter(g, batch.root.getSchema(), batch.dictionaries);
      writer.write(batch.root);
      out = g.alloc(AbiV1.Schema.SIZE + AbiV1.Array.SIZE, 8);
      echo();
    }

    /** Copies the top structs into the output slots, as the echo guest does. */
    void echo() {
      FlatMemory m = g.memory();
      m.copy(out, writer.schemaPtr(), AbiV1.Schema.SIZE);
      m.copy(out + AbiV1.Schema.SIZE, writer.arrayPtr(), AbiV1.Array.SIZE);
      m.writeI32(out + AbiV1.Schema.SIZE + AbiV1.Array.RELEASE, 1);
    }

    int schema() {
      return out;
    }

    int array() {
      return out + AbiV1.Schema.SIZE;
    }

    FlatMemory m() {
      return g.memory();
    }

    /** The ArrowArray of column i. */
    int column(int i) {
      return child(array(), i);
    }

    int child(int array, int i) {
      return m().readInt(m().readInt(array + AbiV1.Array.CHILDREN) + 4 * i);
    }

    int schemaChild(int schema, int i) {
      return m().readInt(m().readInt(schema + AbiV1.Schema.CHILDREN) + 4 * i);
    }

    int buffer(int array, int b) {
      return m().readInt(m().readInt(array + AbiV1.Array.BUFFERS) + 4 * b);
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 17, 64})
  void everyLayoutComesBackEqual(int rows) {
    try (BufferAllocator allocator = new RootAllocator();
        NestedBatch batch = new NestedBatch(allocator, rows)) {
      Written w = new Written(batch);
      long before = allocator.getAllocatedMemory();
      try (OutputReader reader = new OutputReader(w.g, allocator, 1 << 30, null)) {
        for (int pass = 0; pass < 3; pass++) {
          VectorSchemaRoot got = reader.read(w.schema(), w.array(), rows);
          assertEquals(batch.root.getSchema(), got.getSchema());
          assertTrue(
              batch.root.equals(got),
              () ->
                  "differs:\n"
                      + batch.root.contentToTSVString()
                      + "\n---\n"
                      + got.contentToTSVString());
          assertTrue(
              VectorEqualsVisitor.vectorEquals(
                  batch.dictionaries.lookup(0).getVector(),
                  reader.dictionaries().lookup(0).getVector()));
          w.writer.write(batch.root); // the next batch reuses every allocation
          w.echo();
        }
      }
      assertEquals(before, allocator.getAllocatedMemory(), "the reader leaked");
    }
  }

  /** Reads after {@code corrupt}; the error must contain every fragment. */
  private static void refused(Consumer<Written> corrupt, String... fragments) {
    try (BufferAllocator allocator = new RootAllocator();
        NestedBatch batch = new NestedBatch(allocator, 12)) {
      Written w = new Written(batch);
      corrupt.accept(w);
      try (OutputReader reader = new OutputReader(w.g, allocator, 1 << 30, null)) {
        var e =
            assertThrows(
                WasmFlightException.AbiViolation.class,
                () -> reader.read(w.schema(), w.array(), 12));
        for (String f : fragments) {
          assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
        }
      }
    }
  }

  @Test
  void listOffsetsMustNotDecrease() {
    refused(
        w -> w.m().writeI32(w.buffer(w.column(0), 1) + 8, 1000),
        "output column 0 ('list'): offsets decrease at slot 3");
  }

  @Test
  void listChildMustBeLongEnough() {
    refused(
        w -> {
          int items = w.child(w.column(0), 0);
          w.m().writeLong(items + AbiV1.Array.LENGTH, 2);
        },
        "output column 0 ('list')[item]: length 2 is shorter than the batch");
  }

  @Test
  void structChildMustCoverTheStruct() {
    refused(
        w -> w.m().writeLong(w.child(w.column(1), 1) + AbiV1.Array.LENGTH, 5),
        "output column 1 ('struct').b: length 5 is shorter than the batch (12 slots)");
  }

  @Test
  void nestedBufferCountIsChecked() {
    refused(
        w -> w.m().writeLong(w.child(w.column(1), 0) + AbiV1.Array.N_BUFFERS, 2),
        "output column 1 ('struct').a: n_buffers is 2, format 'u' needs 3");
  }

  @Test
  void mapKeysMustNotBeNull() {
    refused(
        w -> {
          int entries = w.child(w.column(2), 0);
          int key = w.child(entries, 0);
          int bitmap = w.g.alloc(8, 8);
          w.m().writeLong(bitmap, 0xFFFF_FFFF_FFFF_FFFEL);
          int buffers = w.m().readInt(key + AbiV1.Array.BUFFERS);
          w.m().writeI32(buffers, bitmap);
          w.m().writeLong(key + AbiV1.Array.NULL_COUNT, -1);
        },
        "output column 2 ('map')[entries].key: a map key is null");
  }

  @Test
  void listViewsMustStayInsideTheirChild() {
    refused(
        w -> w.m().writeI32(w.buffer(w.column(4), 2) + 4, 99),
        "output column 4 ('list_view'): list view slot 1 (offset 5, size 99) is outside its "
            + "child (14 values)");
  }

  @Test
  void unionTypeIdsMustBeDeclared() {
    refused(
        w -> w.m().writeByte(w.buffer(w.column(5), 0), (byte) 9),
        "output column 5 ('dense'): type id 9 at slot 0 is not one of the format's type ids "
            + "[2, 5]");
    refused(
        w -> w.m().writeByte(w.buffer(w.column(6), 0) + 3, (byte) 2),
        "output column 6 ('sparse'): type id 2 at slot 3");
  }

  @Test
  void denseUnionOffsetsMustBeInsideTheChild() {
    refused(
        w -> w.m().writeI32(w.buffer(w.column(5), 1), 40),
        "output column 5 ('dense'): union offset 40 at slot 0 is outside child 1 (4 values)");
  }

  @Test
  void runEndsMustIncreaseAndCoverTheArray() {
    refused(
        w -> w.m().writeI32(w.buffer(w.child(w.column(7), 0), 1) + 4, 1),
        "output column 7 ('ree').run_ends: run end 1 at run 1 is not greater than the previous "
            + "one (1)");
    refused(
        w -> {
          int ends = w.child(w.column(7), 0);
          long runs = w.m().readLong(ends + AbiV1.Array.LENGTH);
          w.m().writeI32(w.buffer(ends, 1) + 4 * (int) (runs - 1), 11);
        },
        "output column 7 ('ree').run_ends: the last run end (11) is before the end of the array "
            + "(12)");
  }

  @Test
  void viewsMustStayInsideTheirBuffer() {
    refused(
        w -> w.m().writeI32(w.buffer(w.column(8), 1) + 16 + 12, 1 << 20),
        "output column 8 ('view'): the view at slot 1 (buffer 0, offset 1048576, length 29) is "
            + "outside its variadic buffer");
  }

  @Test
  void dictionaryIndicesMustBeInsideTheDictionary() {
    refused(
        w -> w.m().writeByte(w.buffer(w.column(9), 1), (byte) 100),
        "output column 9 ('dict'): dictionary index 100 at slot 0 is outside the dictionary "
            + "(4 values)");
  }

  @Test
  void nullCountsMustMatchTheBitmap() {
    refused(
        w -> w.m().writeLong(w.column(0) + AbiV1.Array.NULL_COUNT, 0),
        "output column 0 ('list'): null_count is 0 but the validity bitmap has 2 nulls");
  }

  @Test
  void pointerCyclesAreRefused() {
    refused(
        w -> {
          int list = w.column(0);
          w.m().writeI32(w.m().readInt(list + AbiV1.Array.CHILDREN), list);
        },
        "output column 0 ('list')[item]",
        "points back to an ancestor");
    refused(
        w -> {
          int list = w.schemaChild(w.schema(), 0);
          w.m().writeI32(w.m().readInt(list + AbiV1.Schema.CHILDREN), list);
        },
        "points back to an ancestor (a pointer cycle)");
  }

  @Test
  void malformedMetadataIsRefused() {
    refused(
        w -> {
          int struct = w.schemaChild(w.schema(), 1);
          int meta = w.m().readInt(struct + AbiV1.Schema.METADATA);
          w.m().writeI32(meta + 4, 1 << 30);
        },
        "output column 1 ('struct'): metadata key of pair 0");
  }

  @Test
  void theOutputDictionaryMustNotChange() {
    try (BufferAllocator allocator = new RootAllocator();
        NestedBatch batch = new NestedBatch(allocator, 12)) {
      Written w = new Written(batch);
      try (OutputReader reader = new OutputReader(w.g, allocator, 1 << 30, null)) {
        reader.read(w.schema(), w.array(), 12);
        w.writer.write(batch.root);
        w.echo();
        int dict = w.m().readInt(w.column(9) + AbiV1.Array.DICTIONARY);
        int data = w.buffer(dict, 2);
        w.m().writeByte(data, (byte) 'W');
        var e =
            assertThrows(
                WasmFlightException.AbiViolation.class,
                () -> reader.read(w.schema(), w.array(), 12));
        assertTrue(
            e.getMessage()
                .contains("output column 9 ('dict'): the dictionary changed at " + "batch 1"),
            e.getMessage());
      }
    }
  }
}
