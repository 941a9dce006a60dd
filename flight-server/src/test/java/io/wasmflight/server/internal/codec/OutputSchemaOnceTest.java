package io.wasmflight.server.internal.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.internal.abi.AbiV1;
import io.wasmflight.server.internal.guest.GuestInstance;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;

/**
 * A session's output schema is parsed once: later batches whose schema bytes are the same (at the
 * same or at new addresses) are only compared, and a later batch whose schema differs in any way is
 * parsed again and refused exactly as before.
 */
class OutputSchemaOnceTest {
  private final GuestInstance g = TestGuests.instance(64);
  private final CDataWriter w = new CDataWriter(g);

  /** A batch struct schema with one int64 column named {@code name}. */
  private int schema(String name) {
    return w.schema("+s", "", new int[] {w.schema("l", name, new int[0])});
  }

  /** A batch of {@code rows} int64 values base, base + 1, ... (no nulls). */
  private int batch(long base, int rows) {
    int values = w.alloc(8 * rows);
    for (int r = 0; r < rows; r++) {
      g.memory().writeLong(values + 8 * r, base + r);
    }
    int column = w.array(rows, 0, 0, new int[] {0, values}, new int[0]);
    return w.array(rows, 0, 0, new int[] {0}, new int[] {column});
  }

  private static void assertValues(VectorSchemaRoot root, long base, int rows) {
    BigIntVector x = (BigIntVector) root.getVector(0);
    assertEquals(rows, root.getRowCount());
    for (int r = 0; r < rows; r++) {
      assertEquals(base + r, x.get(r));
    }
  }

  @Test
  void theSameSchemaStructIsParsedOnce() {
    int s = schema("x");
    try (BufferAllocator allocator = new RootAllocator();
        OutputReader reader = new OutputReader(g, allocator, 1 << 20, null)) {
      for (int b = 0; b < 5; b++) {
        assertValues(reader.read(s, batch(100L * b, 7), 7), 100L * b, 7);
      }
      assertEquals(1, reader.schemaParses());
    }
  }

  @Test
  void anEqualSchemaAtNewAddressesIsParsedOnce() {
    try (BufferAllocator allocator = new RootAllocator();
        OutputReader reader = new OutputReader(g, allocator, 1 << 20, null)) {
      for (int b = 0; b < 5; b++) {
        assertValues(reader.read(schema("x"), batch(b, 3), 3), b, 3);
      }
      assertEquals(1, reader.schemaParses());
    }
  }

  @Test
  void aRenamedColumnInALaterBatchIsRefused() {
    try (BufferAllocator allocator = new RootAllocator();
        OutputReader reader = new OutputReader(g, allocator, 1 << 20, null)) {
      reader.read(schema("x"), batch(0, 2), 2);
      WasmFlightException.AbiViolation e =
          assertThrows(
              WasmFlightException.AbiViolation.class,
              () -> reader.read(schema("y"), batch(0, 2), 2));
      assertTrue(e.getMessage().contains("output schema changed between batches"), e.getMessage());
      assertEquals(2, reader.schemaParses());
    }
  }

  @Test
  void metadataAddedInALaterBatchIsRefused() {
    try (BufferAllocator allocator = new RootAllocator();
        OutputReader reader = new OutputReader(g, allocator, 1 << 20, null)) {
      reader.read(schema("x"), batch(0, 2), 2);
      int s = schema("x");
      byte[] metadata = CDataMetadata.encode(Map.of("k", "v"));
      int at = w.alloc(metadata.length);
      g.memory().write(at, metadata, 0, metadata.length);
      g.memory().writeI32(s + AbiV1.Schema.METADATA, at);
      WasmFlightException.AbiViolation e =
          assertThrows(
              WasmFlightException.AbiViolation.class, () -> reader.read(s, batch(0, 2), 2));
      assertTrue(e.getMessage().contains("output schema changed between batches"), e.getMessage());
    }
  }

  @Test
  void aCorruptSchemaInALaterBatchIsStillAnAbiViolation() {
    int s = schema("x");
    try (BufferAllocator allocator = new RootAllocator();
        OutputReader reader = new OutputReader(g, allocator, 1 << 20, null)) {
      reader.read(s, batch(0, 2), 2);
      int column = g.memory().readInt(g.memory().readInt(s + AbiV1.Schema.CHILDREN));
      g.memory().writeI32(column + AbiV1.Schema.FORMAT, 0x7fff_fff0); // outside memory
      WasmFlightException.AbiViolation e =
          assertThrows(
              WasmFlightException.AbiViolation.class, () -> reader.read(s, batch(0, 2), 2));
      assertTrue(e.getMessage().contains("format of output column 0"), e.getMessage());
    }
  }
}
