package io.wasmflight.server.internal.codec;

import io.wasmflight.server.internal.abi.AbiV1;
import io.wasmflight.server.internal.guest.FlatMemory;
import io.wasmflight.server.internal.guest.GuestInstance;
import java.nio.charset.StandardCharsets;

/** Writes C Data structs into a guest's memory (via wf_alloc), as a guest would, for tests. */
final class CDataWriter {
  final GuestInstance g;

  CDataWriter(GuestInstance g) {
    this.g = g;
  }

  int alloc(int size) {
    int p = g.alloc(Math.max(size, 1), 8);
    g.memory().fill((byte) 0, p, p + Math.max(size, 1));
    return p;
  }

  int cString(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    int p = alloc(b.length + 1);
    g.memory().write(p, b, 0, b.length);
    return p;
  }

  int schema(String format, String name, int[] children) {
    FlatMemory m = g.memory();
    int s = alloc(AbiV1.Schema.SIZE);
    m.writeI32(s + AbiV1.Schema.FORMAT, cString(format));
    m.writeI32(s + AbiV1.Schema.NAME, cString(name));
    m.writeLong(s + AbiV1.Schema.FLAGS, AbiV1.FLAG_NULLABLE);
    m.writeLong(s + AbiV1.Schema.N_CHILDREN, children.length);
    m.writeI32(s + AbiV1.Schema.CHILDREN, pointers(children));
    m.writeI32(s + AbiV1.Schema.RELEASE, 1);
    return s;
  }

  int pointers(int[] ptrs) {
    int p = alloc(4 * ptrs.length);
    for (int i = 0; i < ptrs.length; i++) {
      g.memory().writeI32(p + 4 * i, ptrs[i]);
    }
    return p;
  }

  int array(long length, long nullCount, long offset, int[] buffers, int[] children) {
    FlatMemory m = g.memory();
    int a = alloc(AbiV1.Array.SIZE);
    m.writeLong(a + AbiV1.Array.LENGTH, length);
    m.writeLong(a + AbiV1.Array.NULL_COUNT, nullCount);
    m.writeLong(a + AbiV1.Array.OFFSET, offset);
    m.writeLong(a + AbiV1.Array.N_BUFFERS, buffers.length);
    m.writeLong(a + AbiV1.Array.N_CHILDREN, children.length);
    m.writeI32(a + AbiV1.Array.BUFFERS, pointers(buffers));
    m.writeI32(a + AbiV1.Array.CHILDREN, pointers(children));
    m.writeI32(a + AbiV1.Array.RELEASE, 1);
    return a;
  }

  /** A bitmap with bit (first + i) = bits[i]. */
  int bitmap(int first, boolean[] bits) {
    int p = alloc((first + bits.length + 7) / 8);
    for (int i = 0; i < bits.length; i++) {
      if (bits[i]) {
        int bit = first + i;
        g.memory().writeByte(p + bit / 8, (byte) (g.memory().read(p + bit / 8) | 1 << (bit % 8)));
      }
    }
    return p;
  }
}
