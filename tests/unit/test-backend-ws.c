/* test-backend-ws.c: pure logic of the websocket backend (wire.md 9.6). */
#include <string.h>

#include <gio/gio.h>
#include <glib.h>

#include "ws-common.h"
#include "ws-peer.h"

static void
test_url_parts(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(WsUrl) a = ws_url_parse("ws://127.0.0.1:8080/mesh?x=1", &error);
	g_autoptr(WsUrl) b = NULL;
	g_autoptr(WsUrl) c = NULL;

	g_assert_no_error(error);
	g_assert_false(a->tls);
	g_assert_cmpstr(a->host, ==, "127.0.0.1");
	g_assert_cmpuint(a->port, ==, 8080);
	g_assert_cmpstr(a->host_header, ==, "127.0.0.1:8080");
	g_assert_cmpstr(a->request_uri, ==, "/mesh?x=1");
	g_assert_cmpstr(a->origin, ==, "http://127.0.0.1:8080");

	b = ws_url_parse("wss://example.com", &error);
	g_assert_no_error(error);
	g_assert_true(b->tls);
	g_assert_cmpuint(b->port, ==, 443);
	g_assert_cmpstr(b->host_header, ==, "example.com");
	g_assert_cmpstr(b->request_uri, ==, "/");
	g_assert_cmpstr(b->origin, ==, "https://example.com");

	c = ws_url_parse("ws://[::1]:9000/", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(c->host, ==, "::1");
	g_assert_cmpstr(c->host_header, ==, "[::1]:9000");
	g_assert_cmpstr(c->origin, ==, "http://[::1]:9000");
}

static void
test_url_errors(void)
{
	const char *malformed[] = { "http://host:80/", "ws://user:pw@host:80/", "tcp://h:1" };

	for (gsize i = 0; i < G_N_ELEMENTS(malformed); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(WsUrl) url = ws_url_parse(malformed[i], &error);

		g_assert_null(url);
		g_assert_cmpstr(error->message, ==, "malformed ws or wss URL");
	}
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(WsUrl) url = ws_url_parse("ws://host:port/", &error);

		g_assert_null(url);
		g_assert_true(g_str_has_prefix(error->message,
					       "address ws://host:port/ is not a valid URL: "));
	}
}

static void
test_extra_header_canonical_and_trimmed(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *name = NULL;
	g_autofree char *value = NULL;

	g_assert_true(ws_parse_extra_header("x-extra-DATA:  SomeData ", &name, &value, &error));
	g_assert_cmpstr(name, ==, "X-Extra-Data");
	g_assert_cmpstr(value, ==, "SomeData");
	g_clear_pointer(&name, g_free);
	g_clear_pointer(&value, g_free);
	g_assert_true(ws_parse_extra_header("Authorization:Bearer a:b", &name, &value, &error));
	g_assert_cmpstr(name, ==, "Authorization");
	g_assert_cmpstr(value, ==, "Bearer a:b");
}

static void
test_extra_header_errors(void)
{
	g_autoptr(GError) error = NULL;
	char *name = NULL;
	char *value = NULL;

	g_assert_false(ws_parse_extra_header("novalue", &name, &value, &error));
	g_assert_cmpstr(error->message, ==, "extra header must be in the form key:value");
	g_clear_error(&error);
	g_assert_false(ws_parse_extra_header("sec-websocket-key:abc", &name, &value, &error));
	g_assert_cmpstr(error->message, ==,
			"websocket: duplicate header not allowed: Sec-Websocket-Key");
	g_clear_error(&error);
	g_assert_false(ws_parse_extra_header("X-A:b\r\nEvil: 1", &name, &value, &error));
}

static void
test_accept_key_rfc6455_example(void)
{
	g_autofree char *accept = ws_accept_for_key("dGhlIHNhbXBsZSBub25jZQ==");
	g_autofree char *key = ws_new_key();

	g_assert_cmpstr(accept, ==, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	g_assert_cmpuint(strlen(key), ==, 24);
}

static void
test_request_matches_go(void)
{
	g_autoptr(WsUrl) url = ws_url_parse("ws://127.0.0.1:8080/mesh", NULL);
	g_autofree char *plain = ws_build_request(url, "dGhlIHNhbXBsZSBub25jZQ==", NULL, NULL);
	g_autofree char *extra = ws_build_request(url, "dGhlIHNhbXBsZSBub25jZQ==",
						  "X-Extra-Data", "SomeData");
	g_autofree char *origin = ws_build_request(url, "k", "Origin", "http://other");
	g_autofree char *host = ws_build_request(url, "k", "Host", "elsewhere:1");

	g_assert_cmpstr(plain, ==,
			"GET /mesh HTTP/1.1\r\n"
			"Host: 127.0.0.1:8080\r\n"
			"User-Agent: Go-http-client/1.1\r\n"
			"Connection: Upgrade\r\n"
			"Origin: http://127.0.0.1:8080\r\n"
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			"Sec-WebSocket-Version: 13\r\n"
			"Upgrade: websocket\r\n"
			"\r\n");
	g_assert_nonnull(strstr(extra, "Upgrade: websocket\r\nX-Extra-Data: SomeData\r\n\r\n"));
	/* the extra Origin goes first: a Go server checks only the first */
	g_assert_nonnull(strstr(origin, "Origin: http://other\r\nOrigin: http://127.0.0.1:8080\r\n"));
	g_assert_true(g_str_has_prefix(host, "GET /mesh HTTP/1.1\r\nHost: elsewhere:1\r\n"));
}

static void
test_response_checks(void)
{
	const char *key = "dGhlIHNhbXBsZSBub25jZQ==";
	const char *good = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			   "Connection: Upgrade\r\nSec-WebSocket-Accept: "
			   "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
	const char *wrong_accept = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
				   "Connection: Upgrade\r\nSec-WebSocket-Accept: AAAA\r\n\r\n";
	const char *not_found = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
	g_autoptr(GError) error = NULL;

	g_assert_true(ws_check_response((const guint8 *)good, strlen(good), key, &error));
	g_assert_no_error(error);
	g_assert_false(ws_check_response((const guint8 *)wrong_accept, strlen(wrong_accept), key,
					 &error));
	g_assert_cmpstr(error->message, ==, "websocket: bad handshake");
	g_clear_error(&error);
	g_assert_false(
		ws_check_response((const guint8 *)not_found, strlen(not_found), key, &error));
	g_assert_cmpstr(error->message, ==, "websocket: bad handshake");
}

static void
test_path_rules_follow_go_servemux(void)
{
	g_assert_cmpint(ws_path_match("/", "/anything/below"), ==, WS_PATH_MATCH);
	g_assert_cmpint(ws_path_match("/mesh", "/mesh"), ==, WS_PATH_MATCH);
	g_assert_cmpint(ws_path_match("/mesh", "/mesh/"), ==, WS_PATH_NOT_FOUND);
	g_assert_cmpint(ws_path_match("/mesh", "/other"), ==, WS_PATH_NOT_FOUND);
	g_assert_cmpint(ws_path_match("/mesh/", "/mesh/x"), ==, WS_PATH_MATCH);
	g_assert_cmpint(ws_path_match("/mesh/", "/mesh"), ==, WS_PATH_REDIRECT);
	g_assert_cmpint(ws_path_match("/mesh/", "/meshy"), ==, WS_PATH_NOT_FOUND);
}

static void
judge(const char *head, const char *pattern, WsServerVerdict *verdict)
{
	ws_server_check_request((const guint8 *)head, strlen(head), pattern, verdict);
}

static void
test_server_accepts_a_go_client(void)
{
	g_autoptr(WsUrl) url = ws_url_parse("ws://127.0.0.1:8080/mesh", NULL);
	g_autofree char *request = ws_build_request(url, "dGhlIHNhbXBsZSBub25jZQ==", NULL, NULL);
	g_autofree char *response = NULL;
	WsServerVerdict v;

	judge(request, "/mesh", &v);
	g_assert_cmpuint(v.status, ==, 101);
	g_assert_cmpstr(v.accept, ==, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	response = ws_server_build_response(&v, "/mesh");
	g_assert_cmpstr(response, ==,
			"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			"Connection: Upgrade\r\nSec-WebSocket-Accept: "
			"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
	g_assert_true(ws_check_response((const guint8 *)response, strlen(response),
					"dGhlIHNhbXBsZSBub25jZQ==", NULL));
	ws_server_verdict_clear(&v);
}

static void
test_server_refusals_use_gorilla_texts(void)
{
	struct {
		const char *head;
		guint status;
		gboolean gorilla;
		const char *reason;
	} cases[] = {
		{ "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 400, TRUE,
		  "websocket: the client is not using the websocket protocol: 'upgrade' token "
		  "not found in 'Connection' header" },
		{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\n\r\n", 400, TRUE,
		  "websocket: the client is not using the websocket protocol: 'websocket' token "
		  "not found in 'Upgrade' header" },
		{ "POST / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: WebSocket\r\n"
		  "Content-Length: 0\r\n\r\n",
		  405, TRUE,
		  "websocket: the client is not using the websocket protocol: request method is "
		  "not GET" },
		{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: websocket\r\n"
		  "Sec-WebSocket-Version: 8\r\n\r\n",
		  400, TRUE,
		  "websocket: unsupported version: 13 not found in 'Sec-Websocket-Version' "
		  "header" },
		{ "GET / HTTP/1.1\r\nHost: h:1\r\nConnection: upgrade\r\nUpgrade: websocket\r\n"
		  "Sec-WebSocket-Version: 13\r\nOrigin: http://evil:1\r\n\r\n",
		  403, TRUE, "websocket: request origin not allowed by Upgrader.CheckOrigin" },
		{ "GET / HTTP/1.1\r\nHost: h:1\r\nConnection: upgrade\r\nUpgrade: websocket\r\n"
		  "Sec-WebSocket-Version: 13\r\nOrigin: http://H:1\r\nSec-WebSocket-Key: "
		  "short\r\n\r\n",
		  400, TRUE,
		  "websocket: not a websocket handshake: 'Sec-WebSocket-Key' header must be "
		  "Base64 encoded value of 16-byte in length" },
		{ "GET /other HTTP/1.1\r\nHost: h\r\n\r\n", 404, FALSE, "no websocket at path /other" },
		{ "garbage\r\n\r\n", 400, FALSE, "malformed HTTP request (400 Bad Request)" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		WsServerVerdict v;
		g_autofree char *response = NULL;

		judge(cases[i].head, cases[i].status == 404 ? "/mesh" : "/", &v);
		g_assert_cmpuint(v.status, ==, cases[i].status);
		g_assert_cmpint(v.gorilla, ==, cases[i].gorilla);
		g_assert_cmpstr(v.reason, ==, cases[i].reason);
		response = ws_server_build_response(&v, "/");
		g_assert_true(g_str_has_prefix(response, "HTTP/1.1 "));
		if (cases[i].gorilla)
			g_assert_nonnull(strstr(response, "Sec-Websocket-Version: 13\r\n"));
		ws_server_verdict_clear(&v);
	}
}

static void
test_not_found_body_is_go_text(void)
{
	WsServerVerdict v;
	g_autofree char *response = NULL;

	judge("GET /x HTTP/1.1\r\nHost: h\r\n\r\n", "/mesh", &v);
	response = ws_server_build_response(&v, "/mesh");
	g_assert_true(g_str_has_prefix(response, "HTTP/1.1 404 Not Found\r\n"));
	g_assert_true(g_str_has_suffix(response, "\r\n\r\n404 page not found\n"));
	ws_server_verdict_clear(&v);
}

static void
test_head_end_and_frame_size(void)
{
	const char *head = "GET / HTTP/1.1\r\n\r\nrest";

	g_assert_cmpuint(ws_head_end((const guint8 *)head, strlen(head)), ==, 18);
	g_assert_cmpuint(ws_head_end((const guint8 *)head, 17), ==, 0);
	/* wire.md 12.5: reject from a server 82 03 + 3 bytes; from a client + mask */
	g_assert_cmpuint(ws_frame_size(3, FALSE), ==, 5);
	g_assert_cmpuint(ws_frame_size(3, TRUE), ==, 9);
	g_assert_cmpuint(ws_frame_size(126, FALSE), ==, 130);
	g_assert_cmpuint(ws_frame_size(65536, FALSE), ==, 65546);
}

static void
test_redial_delay_sequence(void)
{
	double d = WS_REDIAL_INITIAL_S;

	for (int i = 0; i < 10; i++)
		d = ws_peer_next_delay(d);
	g_assert_cmpfloat(d, ==, WS_REDIAL_MAX_S);
	g_assert_cmpfloat(ws_peer_next_delay(5.0), ==, 7.5);
}

static WsProxy *
proxy_for(const char *address, const char *http, const char *https, const char *no)
{
	g_autoptr(WsUrl) url = ws_url_parse(address, NULL);
	g_autoptr(GError) error = NULL;
	WsProxy *proxy = NULL;

	g_assert_true(ws_proxy_from_env(url, http, https, no, &proxy, &error));
	g_assert_no_error(error);
	return proxy;
}

static void
test_proxy_from_environment(void)
{
	g_autoptr(WsProxy) a = proxy_for("ws://mesh.example:80/", "proxy:3128", NULL, NULL);
	g_autoptr(WsProxy) b = proxy_for("wss://mesh.example/", "http://p:1", NULL, NULL);
	g_autoptr(WsProxy) c = proxy_for("wss://mesh.example/", NULL, "http://u:p%40ss@p:8080",
					 NULL);
	g_autoptr(WsProxy) loop = proxy_for("ws://127.0.0.1:80/", "http://p:1", NULL, NULL);
	g_autoptr(WsProxy) local = proxy_for("ws://localhost:80/", "http://p:1", NULL, NULL);
	g_autoptr(WsProxy) no1 = proxy_for("ws://a.example.com/", "http://p:1", NULL, "example.com");
	g_autoptr(WsProxy) no2 = proxy_for("ws://10.1.2.3/", "http://p:1", NULL, "10.0.0.0/8");
	g_autoptr(WsProxy) no3 = proxy_for("ws://h.test:81/", "http://p:1", NULL, "x, h.test:80");
	g_autoptr(WsProxy) star = proxy_for("ws://h.test/", "http://p:1", NULL, "*");
	g_autoptr(WsUrl) url = ws_url_parse("ws://mesh.example:8080/x", NULL);
	g_autoptr(GError) error = NULL;
	g_autofree char *connect = NULL;
	WsProxy *socks = NULL;

	g_assert_nonnull(a);
	g_assert_cmpstr(a->host, ==, "proxy");
	g_assert_cmpuint(a->port, ==, 3128);
	g_assert_null(a->auth);
	g_assert_null(b); /* wss uses HTTPS_PROXY only */
	g_assert_nonnull(c);
	/* base64("u:p@ss") */
	g_assert_cmpstr(c->auth, ==, "Basic dTpwQHNz");
	g_assert_null(loop);
	g_assert_null(local);
	g_assert_null(no1);
	g_assert_null(no2);
	g_assert_nonnull(no3); /* the entry names another port */
	g_assert_null(star);
	connect = ws_build_connect(url, c);
	g_assert_cmpstr(connect, ==,
			"CONNECT mesh.example:8080 HTTP/1.1\r\nHost: mesh.example:8080\r\n"
			"User-Agent: Go-http-client/1.1\r\nProxy-Authorization: Basic dTpwQHNz\r\n"
			"\r\n");
	g_assert_false(ws_proxy_from_env(url, "socks5://p:1080", NULL, NULL, &socks, &error));
	g_assert_cmpstr(error->message, ==, "proxy: unknown scheme: socks5");
	g_assert_null(socks);
}

static void
test_connect_response(void)
{
	const char *ok = "HTTP/1.1 200 Connection established\r\n\r\n";
	const char *denied = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
	g_autoptr(GError) error = NULL;

	g_assert_true(ws_check_connect_response((const guint8 *)ok, strlen(ok), &error));
	g_assert_false(ws_check_connect_response((const guint8 *)denied, strlen(denied), &error));
	g_assert_cmpstr(error->message, ==, "Forbidden");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/backend-ws/url/parts-host-origin-and-request-uri", test_url_parts);
	g_test_add_func("/backend-ws/url/errors-read-like-go", test_url_errors);
	g_test_add_func("/backend-ws/extra-header/canonical-name-trimmed-value",
			test_extra_header_canonical_and_trimmed);
	g_test_add_func("/backend-ws/extra-header/errors", test_extra_header_errors);
	g_test_add_func("/backend-ws/handshake/accept-key-rfc6455-example",
			test_accept_key_rfc6455_example);
	g_test_add_func("/backend-ws/handshake/request-matches-go", test_request_matches_go);
	g_test_add_func("/backend-ws/handshake/response-checks", test_response_checks);
	g_test_add_func("/backend-ws/server/path-rules-follow-go-servemux",
			test_path_rules_follow_go_servemux);
	g_test_add_func("/backend-ws/server/accepts-a-go-client", test_server_accepts_a_go_client);
	g_test_add_func("/backend-ws/server/refusals-use-gorilla-texts",
			test_server_refusals_use_gorilla_texts);
	g_test_add_func("/backend-ws/server/not-found-body-is-go-text",
			test_not_found_body_is_go_text);
	g_test_add_func("/backend-ws/frame/head-end-and-frame-size", test_head_end_and_frame_size);
	g_test_add_func("/backend-ws/peer/redial-delay-sequence", test_redial_delay_sequence);
	g_test_add_func("/backend-ws/proxy/from-environment-like-go", test_proxy_from_environment);
	g_test_add_func("/backend-ws/proxy/connect-response", test_connect_response);
	return g_test_run();
}
