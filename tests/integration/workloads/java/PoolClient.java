// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpGet;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClients;
import org.apache.http.impl.conn.PoolingHttpClientConnectionManager;
import org.apache.http.util.EntityUtils;

/**
 * An Apache HttpClient 4.5 pool, as applications use it.
 *
 * <pre>
 *   java PoolClient idle   URL N FILE
 *   java PoolClient leased URL N FILE
 * </pre>
 *
 * idle: N requests at once, each response read to the end and closed (N
 * connections back in the pool); then one request every 300 ms, which the
 * pool serves from the connection it got back last: the others sit idle
 * until the server closes them. leased: N requests whose responses are
 * never read nor closed (the connections stay leased). Writes "pooled=N"
 * or "leased=N" to FILE, then runs until killed.
 */
public class PoolClient {
    static void write(String file, String text) throws Exception {
        Path tmp = Path.of(file + ".tmp");
        Files.writeString(tmp, text + "\n");
        Files.move(tmp, Path.of(file), StandardCopyOption.ATOMIC_MOVE);
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: PoolClient idle|leased URL N FILE");
            System.exit(2);
        }
        String url = args[1];
        int n = Integer.parseInt(args[2]);
        PoolingHttpClientConnectionManager pool = new PoolingHttpClientConnectionManager();
        pool.setMaxTotal(4 * n);
        pool.setDefaultMaxPerRoute(4 * n);
        CloseableHttpClient client = HttpClients.custom().setConnectionManager(pool).build();
        List<CloseableHttpResponse> open = new ArrayList<>();
        for (int i = 0; i < n; i++)
            open.add(client.execute(new HttpGet(url)));
        if (args[0].equals("leased")) {
            write(args[3], "leased=" + n);
            Thread.sleep(Long.MAX_VALUE);
        }
        for (CloseableHttpResponse r : open) {
            EntityUtils.consume(r.getEntity());
            r.close();
        }
        write(args[3], "pooled=" + n);
        for (;;) {
            try (CloseableHttpResponse r = client.execute(new HttpGet(url))) {
                EntityUtils.consume(r.getEntity());
            }
            Thread.sleep(300);
        }
    }
}
