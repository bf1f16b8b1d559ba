// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A Java client with a connect timeout (java.net.http.HttpClient's
 * connectTimeout), against a server that may not accept.
 *
 *   java SlowDial URL N TIMEOUT_MS FILE
 *
 * Sends N GET requests, one after another; writes "answered=X timeouts=Y
 * other=Z" to FILE (timeouts: HttpConnectTimeoutException), then waits
 * until killed.
 */
public class SlowDial {
	public static void main(String[] args) throws Exception {
		int n = Integer.parseInt(args[1]);
		Duration timeout = Duration.ofMillis(Long.parseLong(args[2]));
		HttpClient client = HttpClient.newBuilder().connectTimeout(timeout).build();
		HttpRequest request = HttpRequest.newBuilder(URI.create(args[0]))
			.timeout(timeout.multipliedBy(2)).build();
		int answered = 0, timeouts = 0, other = 0;
		for (int i = 0; i < n; i++) {
			try {
				client.send(request, HttpResponse.BodyHandlers.discarding());
				answered++;
			} catch (HttpConnectTimeoutException e) {
				timeouts++;
			} catch (Exception e) {
				other++;
			}
		}
		Files.writeString(Path.of(args[3]),
			"answered=" + answered + " timeouts=" + timeouts + " other=" + other + "\n");
		Thread.sleep(Long.MAX_VALUE);
	}
}
