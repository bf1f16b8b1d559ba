// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
// LeakyOrders: a Java client whose leakOrders() keeps every connection it
// opens and never closes one, for the leak-origin test.
//
//   java -XX:+PreserveFramePointer LeakyOrders PORT N FILE
//
// First it warms up: leakOrders() and fetchAndClose() open and close
// connections (read to the end, then close) until the JIT has compiled
// them. Then it writes "warm" to FILE, waits until FILE.go exists, opens N
// connections from leakOrders() that it keeps, writes "leaked=N" to FILE
// and waits until killed.
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

public class LeakyOrders {
    private static final int WARM_UP = 1500;
    private static final List<Socket> held = new ArrayList<>();

    private static Socket open(int port) throws IOException {
        return new Socket("127.0.0.1", port);
    }

    private static void drain(Socket s) throws IOException {
        while (s.getInputStream().read() >= 0) {
        }
        s.close();
    }

    static void leakOrders(int port) throws IOException {
        held.add(open(port));
    }

    static void fetchAndClose(int port) throws IOException {
        drain(open(port));
    }

    private static void report(String path, String line) throws IOException {
        Path tmp = Path.of(path + ".tmp");
        Files.writeString(tmp, line + "\n");
        Files.move(tmp, Path.of(path), StandardCopyOption.ATOMIC_MOVE);
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]), n = Integer.parseInt(args[1]);
        for (int i = 0; i < WARM_UP; i++) {
            leakOrders(port);
            drain(held.remove(held.size() - 1));
            fetchAndClose(port);
        }
        report(args[2], "warm");
        while (!Files.exists(Path.of(args[2] + ".go")))
            Thread.sleep(20);
        for (int i = 0; i < n; i++)
            leakOrders(port);
        report(args[2], "leaked=" + held.size());
        Thread.sleep(Long.MAX_VALUE);
    }
}
