package io.wasmflight.server.internal.codec;

import static io.wasmflight.server.internal.codec.OutputBounds.bit;
import static io.wasmflight.server.internal.codec.OutputBounds.requireBuffer;
import static io.wasmflight.server.internal.codec.OutputBounds.violation;

import io.wasmflight.server.internal.guest.FlatMemory;
import java.util.Arrays;
import org.apache.arrow.vector.types.pojo.ArrowType;

/**
 * Checks that the indices an output array stores point inside what they index: list views inside
 * their child, union type ids among the declared ones (dense offsets inside the selected child),
 * dictionary indices inside the dictionary; and reads run ends. Reads guest memory only.
 */
final class OutputIndices {
  private OutputIndices() {}

  /** List view offsets and sizes of slots [p, p + count) inside the child's values. */
  static void checkListViews(FlatMemory m, OutputNode node, long p, long count, long child) {
    String col = node.path;
    int w = node.format.width();
    requireBuffer(m, node.ptr[1], (p + count) * w, col + " offsets");
    requireBuffer(m, node.ptr[2], (p + count) * w, col + " sizes");
    for (long r = 0; r < count; r++) {
      long slot = p + r;
      long off =
          w == 4
              ? m.readInt(node.ptr[1] + (int) (slot * 4))
              : m.readLong(node.ptr[1] + (int) (slot * 8));
      long size =
          w == 4
              ? m.readInt(node.ptr[2] + (int) (slot * 4))
              : m.readLong(node.ptr[2] + (int) (slot * 8));
      if (off < 0 || size < 0 || off > child || size > child - off) {
        throw violation(
            col
                + ": list view slot "
                + slot
                + " (offset "
                + off
                + ", size "
                + size
                + ") is outside its child ("
                + child
                + " values)");
      }
    }
  }

  /** Union type ids declared, and (dense) offsets inside the selected child. */
  static void checkTypeIds(FlatMemory m, OutputNode node, long p, long count, long[] lengths) {
    byte[] mem = m.array();
    int ids = node.ptr[0];
    int[] childOf = new int[128];
    Arrays.fill(childOf, -1);
    int[] declaredIds = node.format.typeIds();
    for (int i = 0; i < declaredIds.length; i++) {
      childOf[declaredIds[i]] = i;
    }
    for (long r = 0; r < count; r++) {
      long slot = p + r;
      int id = mem[ids + (int) slot];
      int child = id < 0 ? -1 : childOf[id];
      if (child < 0) {
        throw violation(
            node.path
                + ": type id "
                + id
                + " at slot "
                + slot
                + " is not one of "
                + "the format's type ids "
                + Arrays.toString(declaredIds));
      }
      if (lengths != null) {
        int off = m.readInt(node.ptr[1] + (int) (slot * 4));
        if (off < 0 || off >= lengths[child]) {
          throw violation(
              node.path
                  + ": union offset "
                  + off
                  + " at slot "
                  + slot
                  + " is outside child "
                  + child
                  + " ("
                  + lengths[child]
                  + " values)");
        }
      }
    }
  }

  /** Dictionary indices of valid slots inside the dictionary. */
  static void checkIndices(FlatMemory m, OutputNode node, long dictionaryLength) {
    byte[] mem = m.array();
    int w = node.format.width();
    boolean signed = ((ArrowType.Int) node.format.type()).getIsSigned();
    int validity = node.ptr[0];
    int values = node.ptr[1];
    for (long r = 0; r < node.length; r++) {
      long slot = node.start + r;
      if (validity != 0 && !bit(mem, validity, slot)) {
        continue;
      }
      int at = values + (int) (slot * w);
      long index =
          switch (w) {
            case 1 -> signed ? mem[at] : mem[at] & 0xFFL;
            case 2 -> signed ? m.readShort(at) : m.readShort(at) & 0xFFFFL;
            case 4 -> signed ? m.readInt(at) : m.readInt(at) & 0xFFFF_FFFFL;
            default -> m.readLong(at);
          };
      if (index < 0 || index >= dictionaryLength) {
        throw violation(
            node.path
                + ": dictionary index "
                + (w == 8 && !signed ? Long.toUnsignedString(index) : Long.toString(index))
                + " at slot "
                + slot
                + " is outside the dictionary ("
                + dictionaryLength
                + " values)");
      }
    }
  }

  /** The 2, 4 or 8 byte signed integer at {@code slot} of the buffer at {@code ptr}. */
  static long readIndex(FlatMemory m, int ptr, long slot, int w) {
    int at = ptr + (int) (slot * w);
    return switch (w) {
      case 2 -> m.readShort(at);
      case 4 -> m.readInt(at);
      default -> m.readLong(at);
    };
  }
}
