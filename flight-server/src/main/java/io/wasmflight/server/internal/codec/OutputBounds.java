package io.wasmflight.server.internal.codec;

import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.internal.guest.FlatMemory;
import java.nio.charset.StandardCharsets;

/**
 * Bounds and bit reads on guest memory for the output reader: every pointer the guest gives is
 * checked here before it is read, and every failure becomes an ABI violation.
 */
final class OutputBounds {
  private OutputBounds() {}

  /** Bit {@code i} of a bitmap (validated to be in memory). */
  static boolean bit(byte[] mem, int bitmap, long i) {
    return (mem[bitmap + (int) (i >>> 3)] & (1 << (i & 7))) != 0;
  }

  /** Set bits among [start, start + count) of a bitmap (validated to be in memory). */
  static long countOnes(byte[] mem, int bitmap, long start, long count) {
    long ones = 0;
    long i = start;
    long end = start + count;
    while (i < end && (i & 7) != 0) {
      if (bit(mem, bitmap, i)) {
        ones++;
      }
      i++;
    }
    int at = bitmap + (int) (i >>> 3);
    while (i + 64 <= end) {
      ones += Long.bitCount((long) LONG.get(mem, at));
      at += 8;
      i += 64;
    }
    while (i + 8 <= end) {
      ones += Integer.bitCount(mem[at] & 0xFF);
      at++;
      i += 8;
    }
    while (i < end) {
      if (bit(mem, bitmap, i)) {
        ones++;
      }
      i++;
    }
    return ones;
  }

  static final java.lang.invoke.VarHandle LONG =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(
          long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

  /** {@code len} bytes at {@code ptr}, which must not be null, lie inside guest memory. */
  static void requireRange(FlatMemory m, int ptr, long len, String what) {
    if (ptr == 0 || !m.inBounds(Integer.toUnsignedLong(ptr), len)) {
      throw violation(
          what
              + " at "
              + Integer.toUnsignedString(ptr)
              + " ("
              + len
              + " bytes) is null or outside guest memory ("
              + m.size()
              + " bytes)");
    }
  }

  /** A buffer may be null only when it covers no bytes. */
  static void requireBuffer(FlatMemory m, int ptr, long len, String what) {
    if (len == 0 && ptr == 0) {
      return;
    }
    requireRange(m, ptr, len, what);
  }

  /** A NUL-terminated UTF-8 string of at most {@code max} bytes at {@code ptr}. */
  static String cString(FlatMemory m, int ptr, int max, String what) {
    requireRange(m, ptr, 1, what);
    byte[] mem = m.array();
    int p = ptr;
    int limit = (int) Math.min((long) ptr + max, mem.length);
    while (p < limit && mem[p] != 0) {
      p++;
    }
    if (p == limit) {
      throw violation(what + " is not NUL-terminated within " + max + " bytes");
    }
    return new String(mem, ptr, p - ptr, StandardCharsets.UTF_8);
  }

  /** The exception every malformed output becomes. */
  static WasmFlightException violation(String detail) {
    return new WasmFlightException.AbiViolation(detail);
  }
}
