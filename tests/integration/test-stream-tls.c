/* test-stream-tls.c: named TLS on mesh streams (streams.md 5, tls.md 4.2, 5.4, 8.4).
 *
 * node2 runs tcp-client proxies in front of an echo service in this test, each
 * with its own tls-server; node1 dials them with the control service's
 * `connect <node> <service> <tls-client>` (streams.md 6) and each case checks
 * what the user sees: the `Connecting` line and the echo, or the `ERROR:` line
 * with the spec's text, and for refusals by the listener the ERROR line the
 * listening node logs. */
#include <string.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib.h>

#include "rc-test-certs.h"
#include "rc-test.h"

#define DEADLINE_S 60.0

typedef struct {
	char *dir;
	char *ca, *other_ca;
	char *srv_crt, *srv_key;     /* node2 */
	char *wrong_crt, *wrong_key; /* node3, for node2's wrong-ID service */
	char *cli_crt, *cli_key;     /* node1 */
	char *c9_crt, *c9_key;       /* node9 */
	char *rogue_crt, *rogue_key; /* node1, other CA */
	guint16 echo_port;
	GSocketService *echo;
	char *sock; /* node1 control socket */
	RcTestNode *node1, *node2;
} Fixture;

static void
echo_done(GObject *source, GAsyncResult *res, gpointer data)
{
	g_output_stream_splice_finish(G_OUTPUT_STREAM(source), res, NULL);
	g_object_unref(data);
}

static gboolean
echo_incoming(GSocketService *service, GSocketConnection *conn, GObject *src, gpointer data)
{
	GIOStream *io = G_IO_STREAM(g_object_ref(conn));
	g_output_stream_splice_async(g_io_stream_get_output_stream(io),
				     g_io_stream_get_input_stream(io),
				     G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, G_PRIORITY_DEFAULT, NULL,
				     echo_done, io);
	return TRUE;
}

static char *
service_yaml(const char *service, const char *tls, guint16 port)
{
	return g_strdup_printf("- tcp-client:\n    service: %s\n    address: 127.0.0.1:%u\n%s%s%s",
			       service, port, tls != NULL ? "    tlsserver: " : "",
			       tls != NULL ? tls : "", tls != NULL ? "\n" : "");
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(RcTestCert) ca = rc_test_cert_new_ca("mesh CA");
	g_autoptr(RcTestCert) other = rc_test_cert_new_ca("other CA");
	const char *id1[] = { "node1", NULL }, *id2[] = { "node2", NULL };
	const char *id3[] = { "node3", NULL }, *id9[] = { "node9", NULL };
	RcTestCertOpts o;

	f->dir = rc_test_make_tmpdir("stream-tls");
	rc_test_cert_write(ca, NULL, f->dir, "ca", &f->ca, NULL);
	rc_test_cert_write(other, NULL, f->dir, "other-ca", &f->other_ca, NULL);
	o = (RcTestCertOpts){ .cn = "node2", .node_ids = id2 };
	g_autoptr(RcTestCert) srv = rc_test_cert_new(ca, &o);
	rc_test_cert_write(srv, NULL, f->dir, "srv", &f->srv_crt, &f->srv_key);
	o = (RcTestCertOpts){ .cn = "node3", .node_ids = id3 };
	g_autoptr(RcTestCert) wrong = rc_test_cert_new(ca, &o);
	rc_test_cert_write(wrong, NULL, f->dir, "wrong", &f->wrong_crt, &f->wrong_key);
	o = (RcTestCertOpts){ .cn = "node1", .node_ids = id1 };
	g_autoptr(RcTestCert) cli = rc_test_cert_new(ca, &o);
	rc_test_cert_write(cli, NULL, f->dir, "cli", &f->cli_crt, &f->cli_key);
	g_autoptr(RcTestCert) rogue = rc_test_cert_new(other, &o);
	rc_test_cert_write(rogue, NULL, f->dir, "rogue", &f->rogue_crt, &f->rogue_key);
	o = (RcTestCertOpts){ .cn = "node9", .node_ids = id9 };
	g_autoptr(RcTestCert) c9 = rc_test_cert_new(ca, &o);
	rc_test_cert_write(c9, NULL, f->dir, "c9", &f->c9_crt, &f->c9_key);

	g_autoptr(GError) error = NULL;
	f->echo_port = rc_test_free_port();
	f->echo = g_socket_service_new();
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(lo, f->echo_port);
	g_socket_listener_add_address(G_SOCKET_LISTENER(f->echo), sa, G_SOCKET_TYPE_STREAM,
				      G_SOCKET_PROTOCOL_TCP, NULL, NULL, &error);
	g_assert_no_error(error);
	g_signal_connect(f->echo, "incoming", G_CALLBACK(echo_incoming), NULL);
	g_socket_service_start(f->echo);

	guint16 port2 = rc_test_free_port();
	g_autofree char *s_echo = service_yaml("echo", "srv", f->echo_port);
	g_autofree char *s_mecho = service_yaml("mecho", "msrv", f->echo_port);
	g_autofree char *s_wecho = service_yaml("wecho", "wsrv", f->echo_port);
	g_autofree char *s_plain = service_yaml("plain", NULL, f->echo_port);
	g_autofree char *y2 = g_strdup_printf(
	    "---\n- node:\n    id: node2\n- log-level: debug\n"
	    "- tls-server:\n    name: srv\n    cert: %s\n    key: %s\n"
	    "- tls-server:\n    name: msrv\n    cert: %s\n    key: %s\n"
	    "    requireclientcert: true\n    clientcas: %s\n"
	    "- tls-server:\n    name: wsrv\n    cert: %s\n    key: %s\n"
	    "    skipreceptornamescheck: true\n"
	    "- tcp-listener:\n    port: %u\n    bindaddr: 127.0.0.1\n%s%s%s%s",
	    f->srv_crt, f->srv_key, f->srv_crt, f->srv_key, f->ca, f->wrong_crt, f->wrong_key,
	    port2, s_echo, s_mecho, s_wecho, s_plain);
	f->node2 = rc_test_node_start(f->dir, "node2", y2);

	f->sock = g_build_filename(f->dir, "node1.sock", NULL);
	g_autofree char *y1 = g_strdup_printf(
	    "---\n- node:\n    id: node1\n- log-level: debug\n"
	    "- control-service:\n    service: \"\"\n    filename: %s\n"
	    "- tls-client:\n    name: cli\n    cert: \"\"\n    key: \"\"\n    rootcas: %s\n"
	    "- tls-client:\n    name: other\n    cert: \"\"\n    key: \"\"\n    rootcas: %s\n"
	    "- tls-client:\n    name: mcli\n    cert: %s\n    key: %s\n    rootcas: %s\n"
	    "- tls-client:\n    name: m9\n    cert: %s\n    key: %s\n    rootcas: %s\n"
	    "    skipreceptornamescheck: true\n"
	    "- tls-client:\n    name: mrogue\n    cert: %s\n    key: %s\n    rootcas: %s\n"
	    "- tcp-peer:\n    address: 127.0.0.1:%u\n",
	    f->sock, f->ca, f->other_ca, f->cli_crt, f->cli_key, f->ca, f->c9_crt, f->c9_key,
	    f->ca, f->rogue_crt, f->rogue_key, f->ca, port2);
	f->node1 = rc_test_node_start(f->dir, "node1", y1);
	g_assert_true(rc_test_node_wait_log(f->node1, " node2:node2", DEADLINE_S));
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	if (g_test_failed()) {
		rc_test_node_dump_log(f->node1);
		rc_test_node_dump_log(f->node2);
	}
	rc_test_node_free(f->node1);
	rc_test_node_free(f->node2);
	g_socket_service_stop(f->echo);
	g_socket_listener_close(G_SOCKET_LISTENER(f->echo));
	g_object_unref(f->echo);
	rc_test_rmtree(f->dir);
	g_free(f->dir);
	g_free(f->sock);
	g_free(f->ca);
	g_free(f->other_ca);
	g_free(f->srv_crt);
	g_free(f->srv_key);
	g_free(f->wrong_crt);
	g_free(f->wrong_key);
	g_free(f->cli_crt);
	g_free(f->cli_key);
	g_free(f->c9_crt);
	g_free(f->c9_key);
	g_free(f->rogue_crt);
	g_free(f->rogue_key);
}

/* A control session driven from the main loop (the echo service runs in this
 * process too): send `request`, collect until `until` appears or EOF. */
typedef struct {
	GSocketConnection *conn;
	char *request;
	const char *until;
	GString *got;
	char buf[4096];
	gboolean sent_ping;
	gboolean done;
	GError *error;
} Session;

static void session_read(Session *s);

static void
session_readed(GObject *source, GAsyncResult *res, gpointer data)
{
	Session *s = data;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), res, &s->error);
	if (n <= 0) {
		s->done = TRUE;
		return;
	}
	g_string_append_len(s->got, s->buf, n);
	const char *err = strstr(s->got->str, "\nERROR: ");
	if (strstr(s->got->str, s->until) != NULL || (err != NULL && strchr(err + 1, '\n') != NULL)) {
		/* the echo arrived, or the dial failed (the session then waits for
		 * the next command) */
		s->done = TRUE;
		return;
	}
	if (!s->sent_ping && strstr(s->got->str, "Connecting\n") != NULL) {
		/* like receptorctl: the payload follows the Connecting line */
		s->sent_ping = TRUE;
		g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(s->conn)),
					  "ping", 4, NULL, NULL, NULL);
	}
	session_read(s);
}

static void
session_read(Session *s)
{
	g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(s->conn)), s->buf,
				  sizeof s->buf, G_PRIORITY_DEFAULT, NULL, session_readed, s);
}

static gboolean
session_done(gpointer data)
{
	return ((Session *)data)->done;
}

/* `connect node2 <service> <tls>` then "ping"; returns everything after the
 * greeting line (until the echo arrives or the connection ends). */
static char *
connect_exchange(Fixture *f, const char *service, const char *tls)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketAddress) sa = g_unix_socket_address_new(f->sock);
	Session s = { 0 };
	s.conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(sa), NULL, &error);
	g_assert_no_error(error);
	s.request = g_strdup_printf("connect node2 %s %s\n", service, tls);
	s.until = "Connecting\nping";
	s.got = g_string_new(NULL);
	g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(s.conn)), s.request,
				  strlen(s.request), NULL, NULL, &error);
	g_assert_no_error(error);
	session_read(&s);
	if (!rc_test_wait_until(session_done, &s, "connect reply", 40))
		g_test_message("got so far: [%s]", s.got->str);
	g_assert_true(s.done);
	g_io_stream_close(G_IO_STREAM(s.conn), NULL, NULL);
	g_object_unref(s.conn);
	g_free(s.request);
	g_clear_error(&s.error);
	g_autofree char *out = g_string_free(s.got, FALSE);
	const char *nl = strchr(out, '\n');
	g_assert_nonnull(nl);
	return g_strdup(nl + 1);
}

/* The advertisement of node2's services has reached node1 (a dial before
 * it would still work; waiting keeps the cases independent of start-up). */
static void
wait_echo(Fixture *f)
{
	for (guint i = 0; i < 60; i++) {
		g_autofree char *r = connect_exchange(f, "plain", "");
		if (g_strcmp0(r, "Connecting\nping") == 0)
			return;
	}
	g_assert_not_reached();
}

static void
test_accepted(Fixture *f, gconstpointer data)
{
	wait_echo(f);
	g_autofree char *r = connect_exchange(f, "echo", "cli");
	g_assert_cmpstr(r, ==, "Connecting\nping");
}

static void
test_mutual_accepted(Fixture *f, gconstpointer data)
{
	wait_echo(f);
	g_autofree char *r = connect_exchange(f, "mecho", "mcli");
	g_assert_cmpstr(r, ==, "Connecting\nping");
}

static void
test_server_wrong_node_id(Fixture *f, gconstpointer data)
{
	wait_echo(f);
	g_autofree char *r = connect_exchange(f, "wecho", "cli");
	g_assert_cmpstr(r, ==,
			"ERROR: CRYPTO_ERROR 0x12a (local): x509: certificate is valid for "
			"Receptor node ID node3, not node2\n");
	g_assert_true(rc_test_node_wait_log(
	    f->node1, "RVF ReceptorNameError: expected node2 but found node3", DEADLINE_S));
}

static void
test_server_untrusted_ca(Fixture *f, gconstpointer data)
{
	wait_echo(f);
	g_autofree char *r = connect_exchange(f, "echo", "other");
	g_assert_cmpstr(r, ==,
			"ERROR: CRYPTO_ERROR 0x12a (local): x509: certificate signed by unknown "
			"authority\n");
}

static void
test_insecure_to_secure(Fixture *f, gconstpointer data)
{
	wait_echo(f);
	g_autofree char *r = connect_exchange(f, "echo", "");
	g_assert_cmpstr(r, ==,
			"ERROR: CRYPTO_ERROR 0x12a (local): insecure connection to secure service\n");
}

/* The listener refuses the client certificate after the client's handshake
 * is done (TLS 1.3): `Connecting` and then the stream ends without an echo
 * (streams.md 3.4); the listening node logs the RVF text. */
static void
check_refused_by_listener(Fixture *f, const char *tls, const char *log)
{
	wait_echo(f);
	g_autofree char *r = connect_exchange(f, "mecho", tls);
	g_test_message("dialer saw: %s", r);
	g_assert_true(g_str_has_prefix(r, "Connecting\n") || g_str_has_prefix(r, "ERROR: "));
	g_assert_null(strstr(r, "ping"));
	g_assert_true(rc_test_node_wait_log(f->node2, log, DEADLINE_S));
}

static void
test_client_wrong_node_id(Fixture *f, gconstpointer data)
{
	check_refused_by_listener(f, "m9", "RVF ReceptorNameError: expected node1 but found node9");
}

/* The listener names its client CAs in the CertificateRequest; a client whose
 * certificate comes from another CA does not send it (GnuTLS, like Go's
 * client, tls.md 3), so this is refused as a missing certificate. */
static void
test_client_untrusted_ca(Fixture *f, gconstpointer data)
{
	check_refused_by_listener(f, "mrogue",
				  "refused: CRYPTO_ERROR 0x174 (local): tls: client didn't provide "
				  "a certificate");
}

static void
test_client_missing_certificate(Fixture *f, gconstpointer data)
{
	check_refused_by_listener(f, "cli",
				  "refused: CRYPTO_ERROR 0x174 (local): tls: client didn't provide "
				  "a certificate");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("/stream-tls/named-client-accepts-the-target-node-certificate", test_accepted);
	ADD("/stream-tls/mutual-tls-with-the-dialer-node-id-is-accepted", test_mutual_accepted);
	ADD("/stream-tls/dialer-refuses-a-server-certificate-for-another-node",
	    test_server_wrong_node_id);
	ADD("/stream-tls/dialer-refuses-an-untrusted-server-ca", test_server_untrusted_ca);
	ADD("/stream-tls/insecure-dial-to-a-tls-service-is-refused", test_insecure_to_secure);
	ADD("/stream-tls/listener-refuses-a-client-certificate-for-another-node",
	    test_client_wrong_node_id);
	ADD("/stream-tls/listener-refuses-an-untrusted-client-ca", test_client_untrusted_ca);
	ADD("/stream-tls/listener-refuses-a-missing-client-certificate",
	    test_client_missing_certificate);
	return g_test_run();
}
