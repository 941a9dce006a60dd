package io.wasmflight.server.internal.guest;

import com.dylibso.chicory.runtime.ConstantEvaluators;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.PassiveDataSegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A guest linear memory backed by one contiguous {@code byte[]} whose length is exactly the memory
 * size. Chicory's own memories are paged (64 KiB chunks), which makes compiled kernels several
 * times slower; here every access is one array access whose JVM bounds check doubles as the Wasm
 * bounds check, turned into a trap ({@link WasmRuntimeException}) on failure.
 *
 * <p>{@code memory.grow} replaces the array (copying); the host must therefore call {@link
 * #array()} again after every guest call. Not thread-safe and not shareable: one per instance. This
 * is the only {@link Memory} implementation the server uses, so the compiled code's call sites stay
 * monomorphic.
 */
public final class FlatMemory implements Memory {
  // Little-endian views of the array, also used by GuestMemoryAccess.
  static final VarHandle SHORT =
      MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
  static final VarHandle INT =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  static final VarHandle FLOAT =
      MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
  static final VarHandle DOUBLE =
      MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.LITTLE_ENDIAN);

  private final int initialPages;
  private final int maximumPages;

  /** Read directly by {@link GuestMemoryAccess}; replaced (not resized) by {@link #grow}. */
  byte[] bytes;

  /**
   * The module's own globals in its numbering, set by {@link GuestInstance} when the module imports
   * none; read by {@link GuestGlobalAccess}. Null otherwise.
   */
  GlobalInstance[] globals;

  private DataSegment[] dataSegments;
  private boolean growRefusedByCap;

  /**
   * @param limits the module's declared limits
   * @param capPages the most pages this instance may ever have (already clamped by the caller)
   */
  public FlatMemory(MemoryLimits limits, int capPages) {
    if (limits.shared()) {
      throw new UninstantiableException("shared memories are not supported");
    }
    this.initialPages = limits.initialPages();
    this.maximumPages = Math.min(Math.min(limits.maximumPages(), capPages), RUNTIME_MAX_PAGES);
    if (initialPages > maximumPages) {
      throw new MemoryCapExceeded(initialPages, maximumPages);
    }
    this.bytes = new byte[initialPages * PAGE_SIZE];
  }

  /** Thrown at instantiation when the module's initial memory is above the session cap. */
  public static final class MemoryCapExceeded extends ChicoryException {
    private static final long serialVersionUID = 1L;

    MemoryCapExceeded(int initial, int cap) {
      super("module declares " + initial + " initial memory pages, above the cap of " + cap);
    }
  }

  /** The backing array; valid until the next guest call (which may grow the memory). */
  public byte[] array() {
    return bytes;
  }

  /** Current size in bytes. */
  public int size() {
    return bytes.length;
  }

  /** True once a {@code memory.grow} was refused because it would pass the page cap. */
  public boolean growRefusedByCap() {
    return growRefusedByCap;
  }

  /** True when {@code [addr, addr + len)} lies inside memory (unsigned address arithmetic). */
  public boolean inBounds(long addr, long len) {
    return addr >= 0 && len >= 0 && addr + len <= bytes.length;
  }

  private WasmRuntimeException oob(int addr, int size) {
    return new WasmRuntimeException(
        "out of bounds memory access: address "
            + Integer.toUnsignedString(addr)
            + ", size "
            + size
            + ", memory size "
            + bytes.length);
  }

  private void check(int addr, int size) {
    if (addr < 0 || size < 0 || (long) addr + size > bytes.length) {
      throw oob(addr, size);
    }
  }

  @Override
  public int pages() {
    return bytes.length / PAGE_SIZE;
  }

  @Override
  public int grow(int delta) {
    int prev = pages();
    long next = (long) prev + delta;
    if (delta < 0 || next > maximumPages) {
      growRefusedByCap = true;
      return -1;
    }
    if (delta == 0) {
      return prev;
    }
    try {
      bytes = Arrays.copyOf(bytes, (int) next * PAGE_SIZE);
    } catch (OutOfMemoryError e) {
      return -1;
    }
    return prev;
  }

  @Override
  public int initialPages() {
    return initialPages;
  }

  @Override
  public int maximumPages() {
    return maximumPages;
  }

  @Override
  public boolean shared() {
    return false;
  }

  @Override
  @SuppressWarnings("removal")
  public Object lock(int address) {
    throw new UnsupportedOperationException("shared memories are not supported");
  }

  @Override
  @SuppressWarnings("removal")
  public int waitOn(int address, int expected, long timeout) {
    throw new ChicoryException("Attempt to wait on a non-shared memory, not supported.");
  }

  @Override
  @SuppressWarnings("removal")
  public int waitOn(int address, long expected, long timeout) {
    throw new ChicoryException("Attempt to wait on a non-shared memory, not supported.");
  }

  @Override
  @SuppressWarnings("removal")
  public int notify(int address, int maxThreads) {
    return 0;
  }

  @Override
  public void initialize(Instance instance, DataSegment[] segments) {
    initialize(instance, segments, 0);
  }

  @Override
  public void initialize(Instance instance, DataSegment[] segments, int memoryIndex) {
    this.dataSegments = segments;
    if (segments == null) {
      return;
    }
    for (DataSegment s : segments) {
      if (s instanceof ActiveDataSegment segment) {
        if (segment.index() != memoryIndex) {
          continue;
        }
        int offset =
            (int)
                ConstantEvaluators.computeConstantValue(instance, segment.offsetInstructions())[0];
        byte[] data = segment.data();
        if (offset < 0 || (long) offset + data.length > bytes.length) {
          throw new UninstantiableException("out of bounds memory access: data segment");
        }
        System.arraycopy(data, 0, bytes, offset, data.length);
      }
    }
  }

  @Override
  public void initPassiveSegment(int segmentId, int dest, int offset, int size) {
    write(dest, dataSegments[segmentId].data(), offset, size);
  }

  @Override
  public void drop(int segment) {
    dataSegments[segment] = PassiveDataSegment.EMPTY;
  }

  @Override
  public void write(int addr, byte[] data, int offset, int size) {
    if (offset < 0 || size < 0 || (long) offset + size > data.length) {
      throw oob(offset, size);
    }
    check(addr, size);
    System.arraycopy(data, offset, bytes, addr, size);
  }

  @Override
  public byte read(int addr) {
    try {
      return bytes[addr];
    } catch (IndexOutOfBoundsException e) {
      throw oob(addr, 1);
    }
  }

  @Override
  public byte[] readBytes(int addr, int len) {
    check(addr, len);
    return Arrays.copyOfRange(bytes, addr, addr + len);
  }

  @Override
  public void writeI32(int addr, int data) {
    try {
      INT.set(bytes, addr, data);
    } catch (IndexOutOfBoundsException e) {
      throw oob(addr, 4);
    }
  }

  @Override
  public int readInt(int addr) {
    try {
      return (int) INT.get(bytes, addr);
    } catch (IndexOutOfBoundsException e) {
      throw oob(addr, 4);
    }
  }

  @Override
  public void writeLong(int addr, long data) {
    try {
      LONG.set(bytes, addr, data);
    } catch (IndexOutOfBoundsException e) {
      throw oob(addr, 8);
    }
  }

  @Override
  public long readLong(int addr) {
    try {
      return (long) LONG.get(bytes, addr);
    } catch (IndexOutOfBoundsException e) {
      throw oob(addr, 8);
    }
  }

  @Override
  public void writeShort(int addr, short data) {
    try {
      SHORT.set(bytes, addr, data);
    } catch (IndexOutOfBoundsException e) {
      throw oob(addr, 2);
    }
  }

  @Override
  public short readShort(int addr) {
    try {
      return (short) SHORT.get(bytes, addr);
    } catch (IndexOutOfBoundsException e) {
      throw oob(addr, 2);
    }
  }

  @Override
  public long readU16(int addr) {
    return readShort(addr) & 0xFFFFL;
  }

  @Override
  public void writeByte(int addr, byte data) {
    try {
      bytes[addr] = data;
    } catch (IndexOutOfBoundsException e) {
      throw oob(addr, 1);
    }
  }

  @Override
  public void writeF32(int addr, float data) {
    try {
      FLOAT.set(bytes, addr, data);
    } catch (IndexOutOfBoundsException e) {
      throw oob(addr, 4);
    }
  }

  @Override
  public long readF32(int addr) {
    return readInt(addr);
  }

  @Override
  public float readFloat(int addr) {
    try {
      return (float) FLOAT.get(bytes, addr);
    } catch (IndexOutOfBoundsException e) {
      throw oob(addr, 4);
    }
  }

  @Override
  public void writeF64(int addr, double data) {
    try {
      DOUBLE.set(bytes, addr, data);
    } catch (IndexOutOfBoundsException e) {
      throw oob(addr, 8);
    }
  }

  @Override
  public double readDouble(int addr) {
    try {
      return (double) DOUBLE.get(bytes, addr);
    } catch (IndexOutOfBoundsException e) {
      throw oob(addr, 8);
    }
  }

  @Override
  public long readF64(int addr) {
    return readLong(addr);
  }

  @Override
  public void zero() {
    Arrays.fill(bytes, (byte) 0);
  }

  @Override
  public void fill(byte value, int fromIndex, int toIndex) {
    check(fromIndex, toIndex - fromIndex);
    Arrays.fill(bytes, fromIndex, toIndex, value);
  }

  @Override
  public void copy(int dest, int src, int size) {
    check(dest, size);
    check(src, size);
    System.arraycopy(bytes, src, bytes, dest, size);
  }
}
