package io.wasmflight.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class JitWatchTest {
  private static String self() {
    return Long.toString(ProcessHandle.current().pid());
  }

  @Test
  void thisJvmsCompilerThreadsAreFoundAndOnlyEverGrow() throws Exception {
    // This JVM has compiled JUnit and Arrow code by now: its C1/C2 threads have used CPU.
    double first = ProcStatus.compilerCpuSeconds(self());
    assertTrue(first > 0, "compiler CPU " + first);
    assertTrue(first <= ProcStatus.cpuSeconds(self()), "more than the whole process used");
    assertTrue(ProcStatus.compilerCpuSeconds(self()) >= first);
  }

  @Test
  void aProcessThatIsGoneIsUnreadableAndOneThatIsNotAJvmHasNoCompiler() throws Exception {
    Process sleep = new ProcessBuilder("sleep", "30").start();
    try {
      String pid = Long.toString(sleep.pid());
      assertEquals(0.0, ProcStatus.compilerCpuSeconds(pid));
      JitWatch watch = new JitWatch(List.of(pid, ""));
      watch.sample();
      assertTrue(Double.isNaN(watch.share()), "no share before a window has passed");
      assertFalse(watch.quiet());
      Thread.sleep((long) (JitWatch.WINDOW_SECONDS * 1000) + 100);
      watch.sample();
      assertEquals(0.0, watch.share());
      assertTrue(watch.quiet());
    } finally {
      sleep.destroy();
      sleep.waitFor();
    }
    assertEquals(-1.0, ProcStatus.compilerCpuSeconds(Long.toString(sleep.pid())));
  }
}
