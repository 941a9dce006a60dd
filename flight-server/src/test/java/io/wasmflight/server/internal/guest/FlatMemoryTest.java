package io.wasmflight.server.internal.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import org.junit.jupiter.api.Test;

class FlatMemoryTest {
  @Test
  void readsAndWritesLittleEndian() {
    FlatMemory m = new FlatMemory(new MemoryLimits(1, 4), 16);
    m.writeLong(8, 0x0102030405060708L);
    assertEquals(0x08, m.read(8));
    assertEquals(0x05060708, m.readInt(8));
    assertEquals(0x0102030405060708L, m.readLong(8));
    m.writeF64(100, 2.5);
    assertEquals(2.5, m.readDouble(100));
    m.writeShort(Memory.PAGE_SIZE - 2, (short) -2);
    assertEquals(0xFFFE, m.readU16(Memory.PAGE_SIZE - 2));
    m.copy(200, 8, 8);
    assertEquals(0x0102030405060708L, m.readLong(200));
  }

  @Test
  void outOfBoundsIsATrapNotAnIndexException() {
    FlatMemory m = new FlatMemory(new MemoryLimits(1, 4), 16);
    int end = Memory.PAGE_SIZE;
    assertThrows(WasmRuntimeException.class, () -> m.readInt(end - 3));
    assertThrows(WasmRuntimeException.class, () -> m.readLong(-8));
    assertThrows(WasmRuntimeException.class, () -> m.writeByte(end, (byte) 1));
    assertThrows(WasmRuntimeException.class, () -> m.readBytes(end - 1, 2));
    assertThrows(WasmRuntimeException.class, () -> m.write(end - 1, new byte[2], 0, 2));
    assertThrows(WasmRuntimeException.class, () -> m.copy(0, end - 4, 8));
    assertThrows(WasmRuntimeException.class, () -> m.fill((byte) 0, end - 1, end + 1));
  }

  @Test
  void growsUpToTheSmallerOfDeclaredAndCap() {
    FlatMemory m = new FlatMemory(new MemoryLimits(1, 10), 3);
    assertEquals(3, m.maximumPages());
    assertEquals(1, m.grow(2));
    assertEquals(3, m.pages());
    assertEquals(3 * Memory.PAGE_SIZE, m.array().length);
    assertFalse(m.growRefusedByCap());
    assertEquals(-1, m.grow(1));
    assertTrue(m.growRefusedByCap());
    assertEquals(3, m.pages());
  }

  @Test
  void initialPagesAboveTheCapAreRefused() {
    assertThrows(
        FlatMemory.MemoryCapExceeded.class, () -> new FlatMemory(new MemoryLimits(5, 10), 4));
  }

  @Test
  void boundsHelperUsesUnsignedAddresses() {
    FlatMemory m = new FlatMemory(new MemoryLimits(1, 1), 1);
    assertTrue(m.inBounds(0, Memory.PAGE_SIZE));
    assertFalse(m.inBounds(1, Memory.PAGE_SIZE));
    assertFalse(m.inBounds(Integer.toUnsignedLong(-8), 4));
  }
}
