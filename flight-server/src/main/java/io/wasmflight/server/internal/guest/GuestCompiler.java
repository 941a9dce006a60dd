package io.wasmflight.server.internal.guest;

import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.internal.ClassCollector;
import com.dylibso.chicory.compiler.internal.ClassLoadingCollector;
import com.dylibso.chicory.compiler.internal.Compiler;
import com.dylibso.chicory.compiler.internal.MachineFactory;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * Compiles a module ahead of time with Chicory's compiler, then points the generated code's memory
 * loads and stores at {@link GuestMemoryAccess} instead of Chicory's own helpers (which reach
 * {@link FlatMemory} through the {@link com.dylibso.chicory.runtime.Memory} interface and a {@code
 * VarHandle}: too much inlined bytecode per access for C2 in a large function, see {@link
 * GuestMemoryAccess}). The rewrite changes only the owner of those {@code invokestatic}
 * instructions: same names, same descriptors, same stack effect, so every other byte of Chicory's
 * output, its stack map frames included, is kept as it is.
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
          .map(m -> m.getName() + Type.getMethodDescriptor(m))
          .collect(Collectors.toUnmodifiableSet());

  private static final String TARGET = Type.getInternalName(GuestMemoryAccess.class);
  private static final boolean ENABLED =
      !"chicory".equals(System.getProperty("wasmflight.guest.memoryAccess"));

  /** A machine factory for instances of {@code module} (compiled once, shared by sessions). */
  public static Function<Instance, Machine> compile(WasmModule module) {
    var result =
        Compiler.builder(module)
            .withInterpreterFallback(InterpreterFallback.SILENT)
            .withClassCollectorFactory(
                ENABLED ? RewritingCollector::new : ClassLoadingCollector::new)
            .build()
            .compile();
    var collector = result.collector();
    Function<Instance, Machine> factory =
        collector instanceof RewritingCollector r
            ? r.delegate.machineFactory()
            : ((ClassLoadingCollector) collector).machineFactory();
    return new MachineFactory(module, factory);
  }

  /** Rewrites one generated class; returns the input when nothing in it is redirected. */
  static byte[] rewrite(byte[] classBytes) {
    ClassReader reader = new ClassReader(classBytes);
    ClassWriter writer = new ClassWriter(reader, 0);
    int[] count = new int[1];
    reader.accept(
        new ClassVisitor(Opcodes.ASM9, writer) {
          @Override
          public MethodVisitor visitMethod(
              int access, String name, String descriptor, String signature, String[] exceptions) {
            MethodVisitor mv = super.visitMethod(access, name, descriptor, signature, exceptions);
            return new MethodVisitor(Opcodes.ASM9, mv) {
              @Override
              public void visitMethodInsn(
                  int opcode, String owner, String mName, String mDesc, boolean isInterface) {
                if (opcode == Opcodes.INVOKESTATIC
                    && owner.endsWith("Shaded")
                    && REDIRECTED.contains(mName + mDesc)) {
                  count[0]++;
                  super.visitMethodInsn(opcode, TARGET, mName, mDesc, false);
                } else {
                  super.visitMethodInsn(opcode, owner, mName, mDesc, isInterface);
                }
              }
            };
          }
        },
        0);
    return count[0] == 0 ? classBytes : writer.toByteArray();
  }

  /**
   * Chicory's class-loading collector with every class rewritten on the way in. Classes that reach
   * it through {@link #putAll} come from another collector of this kind and are already rewritten.
   */
  static final class RewritingCollector implements ClassCollector {
    final ClassLoadingCollector delegate = new ClassLoadingCollector();

    @Override
    public String mainClassName() {
      return delegate.mainClassName();
    }

    @Override
    public void putMainClass(String className, byte[] bytes) {
      delegate.putMainClass(className, rewrite(bytes));
    }

    @Override
    public void put(String name, byte[] data) {
      delegate.put(name, rewrite(data));
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
