package io.wasmflight.server.internal.guest;

import com.dylibso.chicory.runtime.Memory;

/**
 * The loads and stores of compiled guest code, called from the generated classes in place of
 * Chicory's own helpers ({@link GuestCompiler} rewrites the calls: same parameters, same results).
 *
 * <p>Why: C2 inlines a limited amount of bytecode into one compiled method (8,000 bytes, 18,000
 * nodes, not settable in product JVMs), and a large guest function spends it on its loads and
 * stores. Chicory's helper path (its shaded {@code memoryReadLong}, {@code getAddr}, {@link
 * Memory}'s interface, {@link FlatMemory#readLong} with its try/catch) costs about 45 bytes and an
 * exception handler per access; past the budget every further access in the function, hot loops
 * included, stays a real call. Here one access is one method under 35 bytes (so C2 inlines it even
 * at a call site it does not consider hot) around the {@code VarHandle}, whose internals are
 * force-inlined and hardly count against the budget.
 *
 * <p>Address: {@code base} is the guest's i32 address (unsigned), {@code offset} the instruction's
 * constant offset (0 to 2^31-1). Memory is under 2 GiB, so an access is in bounds only when {@code
 * base} is non-negative as a Java int and so is {@code base + offset} (a sum from 2^31 up wraps
 * negative); {@link #index} makes the index negative otherwise, and the {@code VarHandle}'s (or the
 * array's) own bounds check is then the Wasm bounds check. Its {@link IndexOutOfBoundsException} is
 * turned into the guest's trap, "out of bounds memory access", by {@link GuestInstance} (the one
 * place guest calls are made), instead of by a handler here: a handler per access would cost
 * bytecode and nodes at every access.
 *
 * <p>Each access comes in two forms: on the {@link Memory} (as Chicory passes it) and on its array,
 * which functions with a loop keep in a local ({@link GuestCompiler}): C2 re-reads a field after
 * every safepoint poll, so a loop read {@code FlatMemory.bytes} and the length again per iteration.
 */
public final class GuestMemoryAccess {
  private GuestMemoryAccess() {}

  /** The trap message for an access outside memory (the Wasm spec's wording). */
  static final String OUT_OF_BOUNDS = "out of bounds memory access";

  /**
   * The array index of guest address {@code base + offset}: negative (so out of bounds) when {@code
   * base} is 2^31 or more as an unsigned i32, or when the sum is. The same form as Chicory's own
   * {@code getAddr}: after the (never taken) branch the index is {@code base + constant}, which
   * lets C2 merge the bounds checks of neighbouring accesses ({@code (base + offset) | (base >>
   * 31)}, branch-free, measured 10-20% slower on add_one and haversine for that reason).
   *
   * <p>Offset 0 (the instruction's constant, so C2 folds the test away) returns {@code base}
   * untouched: a negative base is already out of bounds, and without this the sign test stayed in
   * the code as one compare and branch per access (C2 turns the never-taken side into a trap, so
   * the two equal sides never merge) — in add_one's loop, whose addresses are all {@code i32.add}s
   * with offset 0, 16 of them per 8 rows; dropping them measured 1,661 → 2,000-2,300 Mrows/s.
   */
  private static int index(int base, int offset) {
    if (offset == 0) {
      return base;
    }
    return base < 0 ? base : base + offset;
  }

  /**
   * The array behind a compiled function's memory, which {@link GuestCompiler} keeps in a local of
   * the function (read on entry and again after every call, after which it may have grown).
   */
  public static byte[] bytes(Memory memory) {
    return ((FlatMemory) memory).bytes;
  }

  public static byte memoryReadByte(int base, int offset, Memory memory) {
    return ((FlatMemory) memory).bytes[index(base, offset)];
  }

  public static byte memoryReadByte(int base, int offset, byte[] bytes) {
    return bytes[index(base, offset)];
  }

  public static short memoryReadShort(int base, int offset, Memory memory) {
    return (short) FlatMemory.SHORT.get(((FlatMemory) memory).bytes, index(base, offset));
  }

  public static short memoryReadShort(int base, int offset, byte[] bytes) {
    return (short) FlatMemory.SHORT.get(bytes, index(base, offset));
  }

  public static int memoryReadInt(int base, int offset, Memory memory) {
    return (int) FlatMemory.INT.get(((FlatMemory) memory).bytes, index(base, offset));
  }

  public static int memoryReadInt(int base, int offset, byte[] bytes) {
    return (int) FlatMemory.INT.get(bytes, index(base, offset));
  }

  public static long memoryReadLong(int base, int offset, Memory memory) {
    return (long) FlatMemory.LONG.get(((FlatMemory) memory).bytes, index(base, offset));
  }

  public static long memoryReadLong(int base, int offset, byte[] bytes) {
    return (long) FlatMemory.LONG.get(bytes, index(base, offset));
  }

  public static float memoryReadFloat(int base, int offset, Memory memory) {
    return (float) FlatMemory.FLOAT.get(((FlatMemory) memory).bytes, index(base, offset));
  }

  public static float memoryReadFloat(int base, int offset, byte[] bytes) {
    return (float) FlatMemory.FLOAT.get(bytes, index(base, offset));
  }

  public static double memoryReadDouble(int base, int offset, Memory memory) {
    return (double) FlatMemory.DOUBLE.get(((FlatMemory) memory).bytes, index(base, offset));
  }

  public static double memoryReadDouble(int base, int offset, byte[] bytes) {
    return (double) FlatMemory.DOUBLE.get(bytes, index(base, offset));
  }

  public static void memoryWriteByte(int base, byte value, int offset, Memory memory) {
    ((FlatMemory) memory).bytes[index(base, offset)] = value;
  }

  public static void memoryWriteByte(int base, byte value, int offset, byte[] bytes) {
    bytes[index(base, offset)] = value;
  }

  public static void memoryWriteShort(int base, short value, int offset, Memory memory) {
    FlatMemory.SHORT.set(((FlatMemory) memory).bytes, index(base, offset), value);
  }

  public static void memoryWriteShort(int base, short value, int offset, byte[] bytes) {
    FlatMemory.SHORT.set(bytes, index(base, offset), value);
  }

  public static void memoryWriteInt(int base, int value, int offset, Memory memory) {
    FlatMemory.INT.set(((FlatMemory) memory).bytes, index(base, offset), value);
  }

  public static void memoryWriteInt(int base, int value, int offset, byte[] bytes) {
    FlatMemory.INT.set(bytes, index(base, offset), value);
  }

  public static void memoryWriteLong(int base, long value, int offset, Memory memory) {
    FlatMemory.LONG.set(((FlatMemory) memory).bytes, index(base, offset), value);
  }

  public static void memoryWriteLong(int base, long value, int offset, byte[] bytes) {
    FlatMemory.LONG.set(bytes, index(base, offset), value);
  }

  public static void memoryWriteFloat(int base, float value, int offset, Memory memory) {
    FlatMemory.FLOAT.set(((FlatMemory) memory).bytes, index(base, offset), value);
  }

  public static void memoryWriteFloat(int base, float value, int offset, byte[] bytes) {
    FlatMemory.FLOAT.set(bytes, index(base, offset), value);
  }

  public static void memoryWriteDouble(int base, double value, int offset, Memory memory) {
    FlatMemory.DOUBLE.set(((FlatMemory) memory).bytes, index(base, offset), value);
  }

  public static void memoryWriteDouble(int base, double value, int offset, byte[] bytes) {
    FlatMemory.DOUBLE.set(bytes, index(base, offset), value);
  }
}
