/* test-tls-links.c: real `receptor` daemons joined by tcp-listener/tcp-peer
 * links over TLS (tls.md 1, 3, 4, 6, 8.1): mutual TLS connects; an untrusted
 * CA, a missing client certificate and a pin mismatch are refused with the
 * spec's texts; the receptor-c node-ID binding (`verifypeernodeid`, tls.md
 * 5.4 and docs/differences.md "TLS") off and on.  Connection state is read
 * from the "Connection established with <node>" log line. */
#include <string.h>

#include <gio/gio.h>
#include <glib.h>

#include "rc-test-certs.h"
#include "rc-test.h"

#define DEADLINE_S 30.0

typedef struct {
	char *dir;
	char *ca, *other_ca;
	char *node1_crt, *node1_key;  /* node1, localhost, 127.0.0.1 */
	char *node2_crt, *node2_key;  /* node2 */
	char *rogue_crt, *rogue_key;  /* node2, signed by another CA */
	char *node1_pin;
	GPtrArray *nodes;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(RcTestCert) ca = rc_test_cert_new_ca("mesh CA");
	g_autoptr(RcTestCert) other = rc_test_cert_new_ca("other CA");
	g_autoptr(RcTestCert) n1 = NULL;
	g_autoptr(RcTestCert) n2 = NULL;
	g_autoptr(RcTestCert) rogue = NULL;
	const char *localhost[] = { "localhost", NULL };
	const char *loopback[] = { "127.0.0.1", NULL };
	const char *id1[] = { "node1", NULL };
	const char *id2[] = { "node2", NULL };
	RcTestCertOpts o;

	f->dir = rc_test_make_tmpdir("tls-links");
	f->nodes = g_ptr_array_new();
	rc_test_cert_write(ca, NULL, f->dir, "ca", &f->ca, NULL);
	rc_test_cert_write(other, NULL, f->dir, "other-ca", &f->other_ca, NULL);
	o = (RcTestCertOpts){ .cn = "node1", .dns = localhost, .ips = loopback, .node_ids = id1 };
	n1 = rc_test_cert_new(ca, &o);
	rc_test_cert_write(n1, NULL, f->dir, "node1", &f->node1_crt, &f->node1_key);
	f->node1_pin = rc_test_cert_fingerprint(n1, FALSE);
	o = (RcTestCertOpts){ .cn = "node2", .dns = localhost, .node_ids = id2 };
	n2 = rc_test_cert_new(ca, &o);
	rc_test_cert_write(n2, NULL, f->dir, "node2", &f->node2_crt, &f->node2_key);
	rogue = rc_test_cert_new(other, &o);
	rc_test_cert_write(rogue, NULL, f->dir, "rogue", &f->rogue_crt, &f->rogue_key);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	for (guint i = 0; i < f->nodes->len; i++) {
		RcTestNode *node = g_ptr_array_index(f->nodes, i);
		if (g_test_failed())
			rc_test_node_dump_log(node);
		rc_test_node_free(node);
	}
	g_ptr_array_unref(f->nodes);
	rc_test_rmtree(f->dir);
	g_free(f->dir);
	g_free(f->ca);
	g_free(f->other_ca);
	g_free(f->node1_crt);
	g_free(f->node1_key);
	g_free(f->node2_crt);
	g_free(f->node2_key);
	g_free(f->rogue_crt);
	g_free(f->rogue_key);
	g_free(f->node1_pin);
}

/* node1: a TLS tcp-listener with tls-server `srv` (server_extra: more
 * tls-server keys, already indented). */
/* Start a node with `binary` instead of RC_RECEPTOR (Go interop). */
static RcTestNode *
start_node(Fixture *f, const char *binary, const char *name, const char *yaml)
{
	g_autofree char *saved = g_strdup(g_getenv("RC_RECEPTOR"));
	RcTestNode *node;
	if (binary != NULL)
		g_setenv("RC_RECEPTOR", binary, TRUE);
	node = rc_test_node_start(f->dir, name, yaml);
	if (binary != NULL)
		g_setenv("RC_RECEPTOR", saved, TRUE);
	g_ptr_array_add(f->nodes, node);
	return node;
}

static RcTestNode *
start_listener_with(Fixture *f, const char *binary, guint16 port, const char *server_extra)
{
	g_autofree char *yaml = g_strdup_printf(
		"---\n- node:\n    id: node1\n- log-level: debug\n"
		"- tls-server:\n    name: srv\n    cert: %s\n    key: %s\n%s"
		"- tcp-listener:\n    port: %u\n    bindaddr: 127.0.0.1\n    tls: srv\n",
		f->node1_crt, f->node1_key, server_extra != NULL ? server_extra : "", port);
	return start_node(f, binary, "node1", yaml);
}

static RcTestNode *
start_listener(Fixture *f, guint16 port, const char *server_extra)
{
	return start_listener_with(f, NULL, port, server_extra);
}

/* `id`: a tcp-peer to node1 with tls-client `cli` (client_extra: more keys). */
static RcTestNode *
start_peer_with(Fixture *f, const char *binary, const char *id, guint16 port,
		const char *client_extra)
{
	g_autofree char *yaml = g_strdup_printf(
		"---\n- node:\n    id: %s\n- log-level: debug\n"
		"- tls-client:\n    name: cli\n%s"
		"- tcp-peer:\n    address: 127.0.0.1:%u\n    tls: cli\n",
		id, client_extra, port);
	return start_node(f, binary, id, yaml);
}

static RcTestNode *
start_peer(Fixture *f, const char *id, guint16 port, const char *client_extra)
{
	return start_peer_with(f, NULL, id, port, client_extra);
}

static char *
client_keys(const char *crt, const char *key, const char *rootcas, const char *more)
{
	return g_strdup_printf("    cert: \"%s\"\n    key: \"%s\"\n    rootcas: %s\n%s", crt, key,
			       rootcas, more != NULL ? more : "");
}

static gboolean
check_up_or_exited(gpointer data)
{
	int status = 0;
	return rc_test_node_exited(data, &status) ||
	       rc_test_node_log_contains(data, "Listening on TCP");
}

/* Skip when this build's registry has no tls-* entities yet. */
static gboolean
tls_missing(RcTestNode *node)
{
	int status = 0;
	g_assert_true(rc_test_wait_until(check_up_or_exited, node, "listener up or exited",
					 DEADLINE_S));
	/* tls-server/tls-client are core entities: a listener that exited is a failure. */
	if (rc_test_node_exited(node, &status))
		rc_test_node_dump_log(node);
	g_assert_false(rc_test_node_exited(node, &status));
	return FALSE;
}

static void
test_mutual_tls_connects(Fixture *f, gconstpointer data)
{
	guint16 port = rc_test_free_port();
	g_autofree char *srv = g_strdup_printf("    requireclientcert: true\n    clientcas: %s\n",
					       f->ca);
	g_autofree char *cli = client_keys(f->node2_crt, f->node2_key, f->ca, NULL);
	RcTestNode *n1 = start_listener(f, port, srv);
	RcTestNode *n2;
	if (tls_missing(n1))
		return;
	n2 = start_peer(f, "node2", port, cli);
	g_assert_true(rc_test_node_wait_log(n1, "Connection established with node2", DEADLINE_S));
	g_assert_true(rc_test_node_wait_log(n2, "Connection established with node1", DEADLINE_S));
}

static void
test_untrusted_server_refused(Fixture *f, gconstpointer data)
{
	guint16 port = rc_test_free_port();
	g_autofree char *cli = client_keys(f->node2_crt, f->node2_key, f->other_ca,
					   "    skipreceptornamescheck: true\n");
	RcTestNode *n1 = start_listener(f, port, NULL);
	RcTestNode *n2;
	if (tls_missing(n1))
		return;
	n2 = start_peer(f, "node2", port, cli);
	g_assert_true(rc_test_node_wait_log(n2,
					    "Backend connection failed (will retry): tls: failed to "
					    "verify certificate: x509: certificate signed by unknown "
					    "authority",
					    DEADLINE_S));
	g_assert_false(rc_test_node_log_contains(n1, "Connection established"));
}

static void
test_untrusted_client_refused(Fixture *f, gconstpointer data)
{
	guint16 port = rc_test_free_port();
	/* Require mode without clientcas: no CA names are sent, so the client
	 * offers its certificate, which does not chain to the system store. */
	g_autofree char *cli = client_keys(f->rogue_crt, f->rogue_key, f->ca, NULL);
	RcTestNode *n1 = start_listener(f, port, "    requireclientcert: true\n");
	RcTestNode *n2;
	if (tls_missing(n1))
		return;
	n2 = start_peer(f, "node2", port, cli);
	g_assert_true(rc_test_node_wait_log(n1,
					    "tls: failed to verify certificate: x509: certificate "
					    "signed by unknown authority",
					    DEADLINE_S));
	g_assert_false(rc_test_node_log_contains(n2, "Connection established"));
}

static void
test_missing_client_cert_refused(Fixture *f, gconstpointer data)
{
	guint16 port = rc_test_free_port();
	g_autofree char *srv = g_strdup_printf("    requireclientcert: true\n    clientcas: %s\n",
					       f->ca);
	g_autofree char *cli = client_keys("", "", f->ca, NULL);
	RcTestNode *n1 = start_listener(f, port, srv);
	RcTestNode *n2;
	if (tls_missing(n1))
		return;
	n2 = start_peer(f, "node2", port, cli);
	g_assert_true(rc_test_node_wait_log(n1, "tls: client didn't provide a certificate",
					    DEADLINE_S));
	g_assert_false(rc_test_node_log_contains(n2, "Connection established"));
}

static void
test_pin_mismatch_refused(Fixture *f, gconstpointer data)
{
	guint16 port = rc_test_free_port();
	const char *wrong = "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
			    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";
	g_autofree char *more = g_strdup_printf("    pinnedservercert:\n      - \"%s\"\n", wrong);
	g_autofree char *cli = client_keys(f->node2_crt, f->node2_key, f->ca, more);
	g_autofree char *more_ok = g_strdup_printf("    pinnedservercert:\n      - \"%s\"\n"
						   "    skipreceptornamescheck: true\n",
						   f->node1_pin);
	g_autofree char *cli_ok = client_keys(f->node2_crt, f->node2_key, f->ca, more_ok);
	RcTestNode *n1 = start_listener(f, port, NULL);
	RcTestNode *n2;
	RcTestNode *n3;
	if (tls_missing(n1))
		return;
	n2 = start_peer(f, "node2", port, cli);
	g_assert_true(rc_test_node_wait_log(n2,
					    "RVF failed: presented certificate does not match any "
					    "pinned fingerprint",
					    DEADLINE_S));
	g_assert_false(rc_test_node_log_contains(n2, "Connection established"));
	/* The right pin connects. */
	n3 = start_peer(f, "node3", port, cli_ok);
	g_assert_true(rc_test_node_wait_log(n3, "Connection established with node1", DEADLINE_S));
}

/* node3 presents a valid certificate issued for node2.  Go (and receptor-c by
 * default) accepts the link: the announced node ID is not bound to the
 * certificate (tls.md 5.4, Pitfall 5). */
static void
test_binding_off_accepts_other_name(Fixture *f, gconstpointer data)
{
	guint16 port = rc_test_free_port();
	g_autofree char *srv = g_strdup_printf("    requireclientcert: true\n    clientcas: %s\n",
					       f->ca);
	g_autofree char *cli = client_keys(f->node2_crt, f->node2_key, f->ca,
					   "    skipreceptornamescheck: true\n");
	RcTestNode *n1 = start_listener(f, port, srv);
	if (tls_missing(n1))
		return;
	start_peer(f, "node3", port, cli);
	g_assert_true(rc_test_node_wait_log(n1, "Connection established with node3", DEADLINE_S));
}

static gboolean
check_rejected_or_established(gpointer data)
{
	return rc_test_node_log_contains(data, "rejected connection with node node3") ||
	       rc_test_node_log_contains(data, "Connection established with node3");
}

static void
test_binding_on_refuses_other_name(Fixture *f, gconstpointer data)
{
	guint16 port = rc_test_free_port();
	g_autofree char *srv = g_strdup_printf("    requireclientcert: true\n    clientcas: %s\n"
					       "    verifypeernodeid: true\n",
					       f->ca);
	g_autofree char *cli = client_keys(f->node2_crt, f->node2_key, f->ca,
					   "    skipreceptornamescheck: true\n");
	g_autofree char *cli_ok = client_keys(f->node2_crt, f->node2_key, f->ca, NULL);
	RcTestNode *n1 = start_listener(f, port, srv);
	if (tls_missing(n1))
		return;
	start_peer(f, "node3", port, cli);
	g_assert_true(rc_test_wait_until(check_rejected_or_established, n1,
					 "node3 rejected or established", DEADLINE_S));
	g_assert_true(rc_test_node_log_contains(n1, "x509: certificate is valid for Receptor node ID "
						    "node2, not node3"));
	g_assert_false(rc_test_node_log_contains(n1, "Connection established with node3"));
	/* The honest node2 still connects. */
	start_peer(f, "node2", port, cli_ok);
	g_assert_true(rc_test_node_wait_log(n1, "Connection established with node2", DEADLINE_S));
}

/* Interop with Go Receptor (RC_GO_RECEPTOR = path of a Go `receptor`
 * binary; skipped without it).  `data` non-NULL: the Go node listens. */
static gboolean
go_missing(const char **go)
{
	*go = g_getenv("RC_GO_RECEPTOR");
	if (*go == NULL || *go[0] == '\0') {
		g_test_skip("set RC_GO_RECEPTOR to a Go receptor binary to run interop tests");
		return TRUE;
	}
	return FALSE;
}

static void
test_go_mutual_tls(Fixture *f, gconstpointer data)
{
	guint16 port = rc_test_free_port();
	g_autofree char *srv = g_strdup_printf("    requireclientcert: true\n    clientcas: %s\n",
					       f->ca);
	g_autofree char *cli = client_keys(f->node2_crt, f->node2_key, f->ca, NULL);
	const char *go;
	RcTestNode *n1, *n2;
	if (go_missing(&go))
		return;
	n1 = start_listener_with(f, data != NULL ? go : NULL, port, srv);
	n2 = start_peer_with(f, data != NULL ? NULL : go, "node2", port, cli);
	g_assert_true(rc_test_node_wait_log(n1, "Connection established with node2", DEADLINE_S));
	g_assert_true(rc_test_node_wait_log(n2, "Connection established with node1", DEADLINE_S));
}

/* Both implementations refuse the same certificates with the same texts. */
static void
test_go_refusals(Fixture *f, gconstpointer data)
{
	guint16 p1 = rc_test_free_port(), p2 = rc_test_free_port();
	const char *wrong = "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
			    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";
	g_autofree char *more = g_strdup_printf("    pinnedservercert:\n      - \"%s\"\n", wrong);
	g_autofree char *pinned = client_keys(f->node2_crt, f->node2_key, f->ca, more);
	g_autofree char *rogue = client_keys(f->rogue_crt, f->rogue_key, f->ca,
					     "    skipreceptornamescheck: true\n");
	const char *go;
	RcTestNode *l1, *l2, *pin_peer;
	if (go_missing(&go))
		return;
	l1 = start_listener_with(f, data != NULL ? go : NULL, p1, NULL);
	pin_peer = start_peer_with(f, data != NULL ? NULL : go, "node2", p1, pinned);
	g_assert_true(rc_test_node_wait_log(pin_peer,
					    "Backend connection failed (will retry): RVF failed: "
					    "presented certificate does not match any pinned "
					    "fingerprint",
					    DEADLINE_S));
	g_assert_true(rc_test_node_wait_log(l1, "remote error: tls: bad certificate", DEADLINE_S));
	rc_test_node_free(g_ptr_array_steal_index(f->nodes, 0));
	l2 = start_listener_with(f, data != NULL ? go : NULL, p2, "    requireclientcert: true\n");
	start_peer_with(f, data != NULL ? NULL : go, "node3", p2, rogue);
	g_assert_true(rc_test_node_wait_log(l2,
					    "tls: failed to verify certificate: x509: certificate "
					    "signed by unknown authority",
					    DEADLINE_S));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("/tls-links/mutual-tls-connects", test_mutual_tls_connects);
	ADD("/tls-links/untrusted-server-ca-refused", test_untrusted_server_refused);
	ADD("/tls-links/untrusted-client-cert-refused", test_untrusted_client_refused);
	ADD("/tls-links/missing-client-cert-refused", test_missing_client_cert_refused);
	ADD("/tls-links/pinned-server-cert-mismatch-refused", test_pin_mismatch_refused);
	ADD("/tls-links/node-id-binding-off-accepts-another-name",
	    test_binding_off_accepts_other_name);
	ADD("/tls-links/node-id-binding-on-refuses-another-name",
	    test_binding_on_refuses_other_name);
	/* Interop with a Go Receptor binary is a hand check: these run only when
	 * RC_GO_RECEPTOR names one (never built or committed by this project). */
	const char *go = g_getenv("RC_GO_RECEPTOR");
	if (go == NULL || go[0] == '\0')
		return g_test_run();
	g_test_add("/tls-links/go-interop/go-listener-c-peer-mutual-tls", Fixture, "go",
		   fixture_setup, test_go_mutual_tls, fixture_teardown);
	g_test_add("/tls-links/go-interop/c-listener-go-peer-mutual-tls", Fixture, NULL,
		   fixture_setup, test_go_mutual_tls, fixture_teardown);
	g_test_add("/tls-links/go-interop/go-listener-refusals-match", Fixture, "go",
		   fixture_setup, test_go_refusals, fixture_teardown);
	g_test_add("/tls-links/go-interop/c-listener-refusals-match", Fixture, NULL, fixture_setup,
		   test_go_refusals, fixture_teardown);
	return g_test_run();
}
