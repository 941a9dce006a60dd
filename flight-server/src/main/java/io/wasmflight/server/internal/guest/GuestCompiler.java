package io.wasmflight.server.internal.guest;

import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.internal.ClassCollector;
import com.dylibso.chicory.compiler.internal.ClassLoadingCollector;
import com.dylibso.chicory.compiler.internal.Compiler;
import com.dylibso.chicory.compiler.internal.MachineFactory;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.WasmModule;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodTooLargeException;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.FrameNode;
import org.objectweb.asm.tree.InsnList;
import org.objectweb.asm.tree.InvokeDynamicInsnNode;
import org.objectweb.asm.tree.JumpInsnNode;
import org.objectweb.asm.tree.LabelNode;
import org.objectweb.asm.tree.LookupSwitchInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.TableSwitchInsnNode;
import org.objectweb.asm.tree.TryCatchBlockNode;
import org.objectweb.asm.tree.VarInsnNode;

/**
 * Compiles a module ahead of time with Chicory's compiler, then points the generated code's memory
 * loads and stores at {@link GuestMemoryAccess} instead of Chicory's own helpers (which reach
 * {@link FlatMemory} through the {@link com.dylibso.chicory.runtime.Memory} interface and a {@code
 * VarHandle}: too much inlined bytecode per access for C2 in a large function, see {@link
 * GuestMemoryAccess}). That part changes only the owner of those {@code invokestatic} instructions:
 * same names, same descriptors, same stack effect.
 *
 * <p>In a function with a loop, the accesses then also take the memory's array from a new local
 * (see {@link #keepArrayInLocal}), set on entry, at exception handlers, and after each call that
 * {@link MemoryGrowth} cannot clear of growing the memory; the stack map frames declare the local.
 * Numeric {@code global.get}/{@code global.set} go to {@link GuestGlobalAccess}, with the
 * function's memory loaded as one more argument. Everything else in Chicory's output is kept as it
 * is.
 *
 * <p>The compiled code must run on instances whose memory is a {@link FlatMemory}, as {@link
 * GuestInstance} makes them.
 */
public final class GuestCompiler {
  private GuestCompiler() {}

  /**
   * The helpers the rewrite redirects (name + descriptor): exactly the public methods of {@link
   * GuestMemoryAccess}, which mirror Chicory's shaded load and store helpers one for one.
   */
  private static final Set<String> REDIRECTED =
      Arrays.stream(GuestMemoryAccess.class.getDeclaredMethods())
          .filter(m -> Modifier.isPublic(m.getModifiers()))
          .filter(m -> m.getName().startsWith("memory"))
          .filter(m -> m.getParameterTypes()[m.getParameterCount() - 1] == Memory.class)
          .map(m -> m.getName() + Type.getMethodDescriptor(m))
          .collect(Collectors.toUnmodifiableSet());

  private static final String TARGET = Type.getInternalName(GuestMemoryAccess.class);
  private static final String GLOBALS_TARGET = Type.getInternalName(GuestGlobalAccess.class);
  private static final String INSTANCE = Type.getDescriptor(Instance.class);
  private static final String READ_GLOBAL = "(I" + INSTANCE + ")J";
  private static final String WRITE_GLOBAL = "(JI" + INSTANCE + ")V";
  private static final String OPCODES = "com/dylibso/chicory/runtime/OpcodeImpl";
  private static final String GENERATED = "com/dylibso/chicory/$gen/";
  private static final Set<String> SHADED_NOT_GROWING =
      Set.of(
          "checkInterruption",
          "readGlobal",
          "writeGlobal",
          "readGlobalRef",
          "getAddr",
          "i32_ge_u",
          "isRefNull",
          "exceptionMatches",
          "dataDrop");

  /** {@code -Dwasmflight.guest.memoryAccess=chicory} keeps Chicory's helpers (for comparisons). */
  private static final boolean REDIRECT =
      !"chicory".equals(System.getProperty("wasmflight.guest.memoryAccess"));

  /** {@code -Dwasmflight.guest.arrayLocal=false} reads the array from the memory at each access. */
  private static final boolean ARRAY_LOCAL =
      REDIRECT && !"false".equals(System.getProperty("wasmflight.guest.arrayLocal"));

  /** {@code -Dwasmflight.guest.globals=chicory} keeps Chicory's global access (for comparisons). */
  private static final boolean REDIRECT_GLOBALS =
      REDIRECT && !"chicory".equals(System.getProperty("wasmflight.guest.globals"));

  private static final String MEMORY = Type.getDescriptor(Memory.class);
  private static final String BYTES_DESCRIPTOR = "(" + MEMORY + ")[B";

  private static final boolean ENABLED = REDIRECT;

  /** A machine factory for instances of {@code module} (compiled once, shared by sessions). */
  public static Function<Instance, Machine> compile(WasmModule module) {
    MemoryGrowth growth = MemoryGrowth.of(module);
    var result =
        Compiler.builder(module)
            .withInterpreterFallback(InterpreterFallback.SILENT)
            .withClassCollectorFactory(
                ENABLED ? () -> new RewritingCollector(growth) : ClassLoadingCollector::new)
            .build()
            .compile();
    var collector = result.collector();
    Function<Instance, Machine> factory =
        collector instanceof RewritingCollector r
            ? r.delegate.machineFactory()
            : ((ClassLoadingCollector) collector).machineFactory();
    return new MachineFactory(module, factory);
  }

  /**
   * Rewrites one generated class; returns the input when nothing in it changes. A function whose
   * code the array local would take past the JVM's 64 KiB method limit reads the array from the
   * memory at each access.
   */
  static byte[] rewrite(byte[] classBytes, MemoryGrowth growth) {
    Set<String> noArrayLocal = new HashSet<>();
    while (true) {
      ClassNode node = new ClassNode();
      new ClassReader(classBytes).accept(node, ClassReader.EXPAND_FRAMES);
      int changed = 0;
      for (MethodNode method : node.methods) {
        changed += redirectLoadsAndStores(method);
        changed += redirectGlobals(method);
        if (ARRAY_LOCAL && !noArrayLocal.contains(method.name + method.desc)) {
          changed += keepArrayInLocal(method, growth);
        }
      }
      if (changed == 0) {
        return classBytes;
      }
      ClassWriter writer = new ClassWriter(0);
      node.accept(writer);
      try {
        return writer.toByteArray();
      } catch (MethodTooLargeException e) {
        if (!noArrayLocal.add(e.getMethodName() + e.getDescriptor())) {
          throw e; // too large without it too: Chicory's compiler does not emit that
        }
      }
    }
  }

  /** Points Chicory's load and store helpers at {@link GuestMemoryAccess}; returns how many. */
  private static int redirectLoadsAndStores(MethodNode method) {
    if (!REDIRECT) {
      return 0;
    }
    int count = 0;
    for (AbstractInsnNode insn : method.instructions) {
      if (insn instanceof MethodInsnNode call
          && call.getOpcode() == Opcodes.INVOKESTATIC
          && call.owner.endsWith("Shaded")
          && REDIRECTED.contains(call.name + call.desc)) {
        call.owner = TARGET;
        call.itf = false;
        count++;
      }
    }
    return count;
  }

  /**
   * Points Chicory's {@code readGlobal} and {@code writeGlobal} (numeric globals) at {@link
   * GuestGlobalAccess}, which also takes the function's memory: Chicory passes the instance last,
   * loaded right before the call, and the memory parameter is loaded after it. Returns how many.
   */
  private static int redirectGlobals(MethodNode method) {
    if (!REDIRECT_GLOBALS) {
      return 0;
    }
    int memorySlot = memoryParameterSlot(method);
    if (memorySlot < 0) {
      return 0;
    }
    int count = 0;
    for (AbstractInsnNode insn : method.instructions.toArray()) {
      if (insn instanceof MethodInsnNode call
          && call.getOpcode() == Opcodes.INVOKESTATIC
          && call.owner.endsWith("Shaded")
          && ((call.name.equals("readGlobal") && call.desc.equals(READ_GLOBAL))
              || (call.name.equals("writeGlobal") && call.desc.equals(WRITE_GLOBAL)))) {
        method.instructions.insertBefore(call, new VarInsnNode(Opcodes.ALOAD, memorySlot));
        call.owner = GLOBALS_TARGET;
        call.desc = call.desc.replace(INSTANCE + ")", INSTANCE + MEMORY + ")");
        call.itf = false;
        count++;
      }
    }
    if (count > 0) {
      method.maxStack += 1;
    }
    return count;
  }

  /**
   * Gives the loads and stores of a function the memory's array from a local of its own instead of
   * reading it from the memory at each access: the local is set on entry, after every call that
   * could grow the memory ({@link #mayGrowMemory}), and at each exception handler (its protected
   * code may have called a function that grew the memory and then threw). Each access whose memory
   * argument is the function's memory parameter (Chicory loads it right before the call) then takes
   * the local. Returns how many accesses.
   *
   * <p>Why: C2 does not keep a field's value across a safepoint poll, so every loop iteration read
   * {@code FlatMemory.bytes} and the array's length again before its first access; a local's value
   * and an array's length are kept.
   */
  private static int keepArrayInLocal(MethodNode method, MemoryGrowth growth) {
    int memorySlot = memoryParameterSlot(method);
    if (memorySlot < 0 || !hasLoop(method)) {
      return 0; // without a loop, C2 reads the field once per stretch between calls anyway
    }
    for (AbstractInsnNode insn : method.instructions) {
      if (insn instanceof VarInsnNode v && v.getOpcode() == Opcodes.ASTORE && v.var == memorySlot) {
        return 0; // not Chicory's shape: the parameter is reassigned
      }
    }
    int arraySlot = method.maxLocals;
    String memoryTail = MEMORY + ")";
    int count = 0;
    for (AbstractInsnNode insn : method.instructions) {
      if (insn instanceof MethodInsnNode call
          && call.owner.equals(TARGET)
          && call.desc.contains(memoryTail)
          && call.getPrevious() instanceof VarInsnNode load
          && load.getOpcode() == Opcodes.ALOAD
          && load.var == memorySlot) {
        load.var = arraySlot;
        call.desc = call.desc.replace(memoryTail, "[B)");
        count++;
      }
    }
    if (count == 0) {
      return 0;
    }
    for (AbstractInsnNode insn : method.instructions.toArray()) {
      if ((insn instanceof MethodInsnNode call && mayGrowMemory(call, growth))
          || insn instanceof InvokeDynamicInsnNode) {
        method.instructions.insert(insn, readArray(memorySlot, arraySlot));
      }
    }
    for (TryCatchBlockNode handler : method.tryCatchBlocks) {
      AbstractInsnNode at = handler.handler;
      while (at.getNext() != null && at.getNext().getOpcode() < 0) {
        at = at.getNext(); // past the handler's frame
      }
      method.instructions.insert(at, readArray(memorySlot, arraySlot));
    }
    method.instructions.insert(readArray(memorySlot, arraySlot));
    for (AbstractInsnNode insn : method.instructions) {
      if (insn instanceof FrameNode frame) {
        frame.local = withLocal(frame, arraySlot, "[B");
      }
    }
    method.maxLocals = arraySlot + 1;
    method.maxStack += 1; // the memory, on top of a handler's exception
    return count;
  }

  /** Whether any jump or switch of {@code method} targets an earlier instruction. */
  private static boolean hasLoop(MethodNode method) {
    Map<LabelNode, Integer> labels = labelPositions(method);
    int index = 0;
    for (AbstractInsnNode insn : method.instructions) {
      List<LabelNode> targets =
          switch (insn) {
            case JumpInsnNode j -> List.of(j.label);
            case TableSwitchInsnNode t -> t.labels;
            case LookupSwitchInsnNode l -> l.labels;
            default -> List.of();
          };
      int at = index;
      if (targets.stream().anyMatch(l -> labels.get(l) < at)) {
        return true;
      }
      index++;
    }
    return false;
  }

  private static Map<LabelNode, Integer> labelPositions(MethodNode method) {
    Map<LabelNode, Integer> labels = new HashMap<>();
    int index = 0;
    for (AbstractInsnNode insn : method.instructions) {
      if (insn instanceof LabelNode label) {
        labels.put(label, index);
      }
      index++;
    }
    return labels;
  }

  private static InsnList readArray(int memorySlot, int arraySlot) {
    InsnList read = new InsnList();
    read.add(new VarInsnNode(Opcodes.ALOAD, memorySlot));
    read.add(new MethodInsnNode(Opcodes.INVOKESTATIC, TARGET, "bytes", BYTES_DESCRIPTOR, false));
    read.add(new VarInsnNode(Opcodes.ASTORE, arraySlot));
    return read;
  }

  /** The local slot of a static method's {@link Memory} parameter, or -1. */
  private static int memoryParameterSlot(MethodNode method) {
    if ((method.access & Opcodes.ACC_STATIC) == 0) {
      return -1;
    }
    int slot = 0;
    int found = -1;
    for (Type arg : Type.getArgumentTypes(method.desc)) {
      if (arg.getDescriptor().equals(MEMORY)) {
        found = slot;
      }
      slot += arg.getSize();
    }
    return found;
  }

  /**
   * False for the calls that cannot replace the memory's array: loads, stores and the other memory
   * helpers but {@code memoryGrow}, globals, traps, the interruption check, numeric helpers (no
   * object parameter), the JDK's, and the module's functions that {@code growth} clears. Any other
   * call (indirect calls, host functions, tables, ...) counts as growing.
   */
  private static boolean mayGrowMemory(MethodInsnNode call, MemoryGrowth growth) {
    if (call.owner.equals(TARGET)
        || call.owner.equals(GLOBALS_TARGET)
        || call.owner.startsWith("java/lang/")) {
      return false;
    }
    if (call.owner.endsWith("Shaded")) {
      return call.name.equals("memoryGrow")
          || !(call.name.startsWith("memory")
              || call.name.startsWith("throw")
              || SHADED_NOT_GROWING.contains(call.name));
    }
    if (call.owner.equals(OPCODES)) {
      return Arrays.stream(Type.getArgumentTypes(call.desc))
          .anyMatch(t -> t.getSort() == Type.OBJECT || t.getSort() == Type.ARRAY);
    }
    if (call.owner.startsWith(GENERATED) && call.name.startsWith("func_")) {
      return growth.mayGrow(functionIndex(call.name));
    }
    return true;
  }

  /** N of {@code func_N}, or -1. */
  private static int functionIndex(String name) {
    String digits = name.substring("func_".length());
    if (digits.isEmpty() || digits.length() > 9 || !digits.chars().allMatch(Character::isDigit)) {
      return -1;
    }
    return Integer.parseInt(digits);
  }

  /**
   * A frame's locals (expanded form) with {@code type} at {@code slot}, past every local it had.
   */
  private static List<Object> withLocal(FrameNode frame, int slot, Object type) {
    if (frame.type != Opcodes.F_NEW) {
      throw new IllegalStateException("frames are read expanded");
    }
    List<Object> locals = new ArrayList<>(frame.local);
    int used = 0;
    for (Object local : locals) {
      used += local == Opcodes.LONG || local == Opcodes.DOUBLE ? 2 : 1;
    }
    for (; used < slot; used++) {
      locals.add(Opcodes.TOP);
    }
    locals.add(type);
    return locals;
  }

  /**
   * Chicory's class-loading collector with every class rewritten on the way in. Classes that reach
   * it through {@link #putAll} come from another collector of this kind and are already rewritten.
   */
  static final class RewritingCollector implements ClassCollector {
    final ClassLoadingCollector delegate = new ClassLoadingCollector();
    private final MemoryGrowth growth;

    RewritingCollector(MemoryGrowth growth) {
      this.growth = growth;
    }

    @Override
    public String mainClassName() {
      return delegate.mainClassName();
    }

    @Override
    public void putMainClass(String className, byte[] bytes) {
      delegate.putMainClass(className, rewrite(bytes, growth));
    }

    @Override
    public void put(String name, byte[] data) {
      delegate.put(name, rewrite(data, growth));
    }

    @Override
    public void putAll(ClassCollector collector) {
      delegate.putAll(collector);
    }

    @Override
    public Map<String, byte[]> classBytes() {
      return delegate.classBytes();
    }

    @Override
    public byte[] resolve(Class<?> clazz) {
      return delegate.resolve(clazz);
    }
  }
}
