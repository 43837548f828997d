/* test-control.c: the control service of real daemons (control.md 1-4):
 * raw session bytes on the Unix socket and TCP, the C receptorctl, many
 * concurrent clients, reload, TLS with client certificates, a 3-node mesh. */
#include <string.h>
#include <sys/stat.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "rc-test.h"

#define DEADLINE_S 30.0

typedef struct {
	char *dir;
	GPtrArray *nodes; /* RcTestNode* */
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	f->dir = rc_test_make_tmpdir("control");
	f->nodes = g_ptr_array_new();
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	for (guint i = 0; i < f->nodes->len; i++) {
		RcTestNode *node = f->nodes->pdata[i];
		if (g_test_failed())
			rc_test_node_dump_log(node);
		rc_test_node_free(node);
	}
	g_ptr_array_unref(f->nodes);
	rc_test_rmtree(f->dir);
	g_free(f->dir);
}

static char *
sock_path(Fixture *f, const char *name)
{
	return g_strdup_printf("%s/%s.sock", f->dir, name);
}

static RcTestNode *
start_node(Fixture *f, const char *name, const char *yaml)
{
	RcTestNode *node = rc_test_node_start(f->dir, name, yaml);
	g_ptr_array_add(f->nodes, node);
	g_assert_true(rc_test_node_wait_log(node, "Initialization complete", DEADLINE_S));
	return node;
}

/* A node with local-only and a control socket (plus `extra` YAML items). */
static RcTestNode *
start_simple(Fixture *f, const char *name, const char *extra)
{
	g_autofree char *sock = sock_path(f, name);
	g_autofree char *yaml = g_strdup_printf("- node:\n    id: %s\n"
						"- local-only\n"
						"- control-service:\n    filename: %s\n%s",
						name, sock, extra != NULL ? extra : "");
	return start_node(f, name, yaml);
}

/* Connect (Unix path or 127.0.0.1:port), send `request`, half-close, read
 * until the server closes.  (transfer full) */
static char *
exchange(const char *path, guint16 port, const char *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) sock = NULL;
	g_autoptr(GSocketAddress) addr = NULL;
	g_autoptr(GString) got = g_string_new(NULL);
	char buf[4096];
	gsize off = 0, len = strlen(request);

	if (path != NULL) {
		sock = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
				    G_SOCKET_PROTOCOL_DEFAULT, &error);
		addr = g_unix_socket_address_new(path);
	} else {
		g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
		sock = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
				    G_SOCKET_PROTOCOL_TCP, &error);
		addr = g_inet_socket_address_new(lo, port);
	}
	g_assert_no_error(error);
	g_socket_connect(sock, addr, NULL, &error);
	g_assert_no_error(error);
	g_socket_set_timeout(sock, (guint)rc_test_scale(DEADLINE_S));
	while (off < len) {
		gssize n = g_socket_send(sock, request + off, len - off, NULL, &error);
		g_assert_no_error(error);
		off += (gsize)n;
	}
	g_socket_shutdown(sock, FALSE, TRUE, &error);
	g_assert_no_error(error);
	for (;;) {
		gssize n = g_socket_receive(sock, buf, sizeof buf, NULL, &error);
		g_assert_no_error(error);
		if (n <= 0)
			break;
		g_string_append_len(got, buf, n);
	}
	return g_string_free(g_steal_pointer(&got), FALSE);
}

/* Run the C receptorctl with --socket `socket` and `args` (NULL-terminated). */
static int
run_ctl(const char *socket, char **out, char **err, ...)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autofree char *ctl = rc_test_build_path("ctl/receptorctl");
	va_list ap;
	const char *a;

	g_ptr_array_add(argv, ctl);
	g_ptr_array_add(argv, (gpointer) "--socket");
	g_ptr_array_add(argv, (gpointer)socket);
	va_start(ap, err);
	while ((a = va_arg(ap, const char *)) != NULL)
		g_ptr_array_add(argv, (gpointer)a);
	va_end(ap);
	g_ptr_array_add(argv, NULL);
	return rc_test_run((const char *const *)argv->pdata, NULL, DEADLINE_S, out, err);
}

/* ------------------------------------------------------------------ raw sessions */

static void
test_worked_example_errors(Fixture *f, gconstpointer data)
{
	g_autofree char *sock = sock_path(f, "node1");
	g_autofree char *got = NULL;

	start_simple(f, "node1", NULL);
	/* control.md 4.9 (work lines omitted: they belong to the work module) */
	got = exchange(sock, 0,
		       "doesnotexist\n"
		       "\n"
		       "STATUS extra\n"
		       "{\"command\": \"status\"\n"
		       "{\"cmd\":\"status\"}\n"
		       "{\"command\":\"STATUS\"}\n"
		       "ping\n"
		       "{\"command\":\"ping\",\"target\":5}\n"
		       "traceroute\n"
		       "connect node2\n"
		       "connect a b c d\n"
		       "{\"command\":\"status\",\"requested_fields\":\"Version\"}\n"
		       "{\"command\":\"status\",\"requested_fields\":[5]}\n"
		       "{\"command\":\"status\",\"requested_fields\":[\"NodeID\",\"Nope\"]}\n"
		       "{\"command\":\"status\",\"requested_fields\":[]}\n");
	{
		g_auto(GStrv) lines = g_strsplit(got, "\n", -1);
		g_assert_cmpstr(lines[0], ==, "Receptor Control, node node1");
		g_assert_cmpstr(lines[1], ==, "ERROR: Unknown command");
		g_assert_cmpstr(lines[2], ==, "ERROR: status command does not take parameters");
		g_assert_true(g_str_has_prefix(lines[3], "ERROR: "));
		g_assert_cmpstr(lines[4], ==, "ERROR: Unknown command");
		g_assert_cmpstr(lines[5], ==, "ERROR: JSON did not contain a command");
		g_assert_cmpstr(lines[6], ==, "ERROR: Unknown command");
		g_assert_cmpstr(lines[7], ==, "ERROR: Unknown command");
		g_assert_cmpstr(lines[8], ==, "ERROR: no ping target");
		g_assert_cmpstr(lines[9], ==, "ERROR: ping target must be string");
		g_assert_cmpstr(lines[10], ==, "ERROR: no traceroute target");
		g_assert_cmpstr(lines[11], ==, "ERROR: no connect target");
		g_assert_cmpstr(lines[12], ==, "ERROR: too many parameters");
		g_assert_cmpstr(lines[13], ==, "ERROR: requested_fields must be a list of strings");
		g_assert_cmpstr(lines[14], ==,
				"ERROR: each element of requested_fields must be a string");
		g_assert_cmpstr(lines[15], ==, "{\"NodeID\":\"node1\"}");
		g_assert_cmpstr(lines[16], ==, "{}");
		g_assert_cmpstr(lines[17], ==, "");
		g_assert_null(lines[18]);
	}
}

static void
test_partial_last_line_runs_at_eof(Fixture *f, gconstpointer data)
{
	g_autofree char *sock = sock_path(f, "node1");
	g_autofree char *got = NULL;

	start_simple(f, "node1", NULL);
	got = exchange(sock, 0, "{\"command\":\"status\",\"requested_fields\":[\"NodeID\"]}");
	g_assert_cmpstr(got, ==, "Receptor Control, node node1\n{\"NodeID\":\"node1\"}\n");
}

static void
test_ping_and_traceroute_self(Fixture *f, gconstpointer data)
{
	g_autofree char *sock = sock_path(f, "node1");
	g_autofree char *got = NULL;
	g_auto(GStrv) lines = NULL;

	start_simple(f, "node1", NULL);
	got = exchange(sock, 0, "ping localhost\ntraceroute node1\nping nowhere\n");
	lines = g_strsplit(got, "\n", -1);
	g_assert_true(g_str_has_prefix(lines[1], "{\"From\":\"node1\",\"Success\":true,\"Time\":"));
	g_assert_true(g_str_has_prefix(lines[2], "{\"0\":{\"From\":\"node1\",\"Time\":"));
	g_assert_cmpstr(lines[3], ==, "{\"Error\":\"no route to node\",\"Success\":false}");
}

static void
test_socket_mode_and_lock(Fixture *f, gconstpointer data)
{
	g_autofree char *sock = sock_path(f, "node1");
	g_autofree char *lock = g_strconcat(sock, ".lock", NULL);
	g_autofree char *yaml = NULL;
	RcTestNode *second;
	struct stat st;

	start_simple(f, "node1", NULL);
	g_assert_cmpint(stat(sock, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	g_assert_true(g_file_test(lock, G_FILE_TEST_EXISTS));
	/* a second daemon on the same socket fails on the lock (control.md 1.3) */
	yaml = g_strdup_printf("- node:\n    id: other\n- local-only\n"
			       "- control-service:\n    filename: %s\n", sock);
	second = rc_test_node_start(f->dir, "other", yaml);
	g_ptr_array_add(f->nodes, second);
	g_assert_cmpint(rc_test_node_wait_exit(second, DEADLINE_S), ==, 1);
	g_assert_true(rc_test_node_log_contains(
		second, "Error: error opening Unix socket: could not acquire lock on socket file: "
			"fslock is already locked"));
}

static void
test_tcp_listener_version_query(Fixture *f, gconstpointer data)
{
	guint16 port = rc_test_free_port();
	g_autofree char *extra = g_strdup_printf("- control-service:\n    service: ctl2\n"
						 "    tcplisten: 127.0.0.1:%u\n", port);
	g_autofree char *got = NULL;

	start_simple(f, "node1", extra);
	got = exchange(NULL, port, "{\"command\":\"status\",\"requested_fields\":[\"Version\"]}\n");
	g_assert_cmpstr(got, ==,
			"Receptor Control, node node1\n{\"Version\":\"" PACKAGE_VERSION_TEXT "\"}\n");
}

/* ------------------------------------------------------------------ receptorctl */

static void
test_receptorctl_commands(Fixture *f, gconstpointer data)
{
	g_autofree char *sock = sock_path(f, "node1");
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;

	start_simple(f, "node1", NULL);
	g_assert_cmpint(run_ctl(sock, &out, &err, "status", NULL), ==, 0);
	g_assert_true(g_str_has_prefix(out, "Node ID: node1\nVersion: " PACKAGE_VERSION_TEXT
					    "\nSystem CPU Count: "));
	g_assert_cmpstr(err, ==, "");
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(run_ctl(sock, &out, &err, "ping", "node1", "--count", "1", NULL), ==, 0);
	g_assert_true(g_str_has_prefix(out, "Reply from node1 in "));
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(run_ctl(sock, &out, &err, "ping", "nowhere", "--count", "1", NULL), ==, 2);
	g_assert_cmpstr(err, ==, "ERROR: no route to node\n");
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(run_ctl(sock, &out, &err, "traceroute", "node1", NULL), ==, 0);
	g_assert_true(g_str_has_prefix(out, "0: node1 in "));
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(run_ctl(sock, &out, &err, "reload", NULL), ==, 0);
	g_assert_cmpstr(out, ==, "Reload successful\n");
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(run_ctl(sock, &out, &err, "version", NULL), ==, 0);
	g_assert_cmpstr(out, ==, "receptorctl  " PACKAGE_VERSION_TEXT "\nreceptor     "
				 PACKAGE_VERSION_TEXT "\n");
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(run_ctl(sock, &out, &err, "bogus", NULL), ==, 1);
	g_assert_cmpstr(err, ==, "ERROR: No such command 'bogus'.\n");
}

/* ------------------------------------------------------------------ many clients */

typedef struct {
	guint done;
	guint answered;
	guint failed;
} Crowd;

typedef struct {
	Crowd *crowd;
	GSocketConnection *conn;
	GDataInputStream *in;
	guint lines;
} Client;

static void client_read_cb(GObject *src, GAsyncResult *res, gpointer user_data);

static void
client_finish(Client *c, gboolean ok)
{
	if (ok)
		c->crowd->answered++;
	else
		c->crowd->failed++;
	c->crowd->done++;
	g_clear_object(&c->in);
	if (c->conn != NULL)
		g_io_stream_close(G_IO_STREAM(c->conn), NULL, NULL);
	g_clear_object(&c->conn);
	g_free(c);
}

static void
client_read_cb(GObject *src, GAsyncResult *res, gpointer user_data)
{
	Client *c = user_data;
	g_autofree char *line =
		g_data_input_stream_read_line_finish_utf8(G_DATA_INPUT_STREAM(src), res, NULL, NULL);

	if (line == NULL) {
		client_finish(c, FALSE);
		return;
	}
	c->lines++;
	/* greeting, status reply, ping reply */
	if ((c->lines == 2 && !g_str_has_prefix(line, "{\"Advertisements\":")) ||
	    (c->lines == 3 && !g_str_has_prefix(line, "{\"From\":\"node1\",\"Success\":true"))) {
		client_finish(c, FALSE);
		return;
	}
	if (c->lines == 3) {
		client_finish(c, TRUE);
		return;
	}
	g_data_input_stream_read_line_async(c->in, G_PRIORITY_DEFAULT, NULL, client_read_cb, c);
}

static void
client_connect_cb(GObject *src, GAsyncResult *res, gpointer user_data)
{
	Client *c = user_data;
	static const char request[] = "status\nping node1\n";

	c->conn = g_socket_client_connect_finish(G_SOCKET_CLIENT(src), res, NULL);
	if (c->conn == NULL) {
		client_finish(c, FALSE);
		return;
	}
	/* small enough for the socket buffer: a blocking write cannot stall */
	g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(c->conn)), request,
				  strlen(request), NULL, NULL, NULL);
	c->in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(c->conn)));
	g_data_input_stream_read_line_async(c->in, G_PRIORITY_DEFAULT, NULL, client_read_cb, c);
}

static gboolean
crowd_done(gpointer data)
{
	Crowd *crowd = data;
	return crowd->done == 200;
}

static long
rss_kib(GPid pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/status", (int)pid);
	g_autofree char *text = NULL;
	const char *p;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return -1;
	p = strstr(text, "VmRSS:");
	return p != NULL ? strtol(p + 6, NULL, 10) : -1;
}

static gboolean
sessions_gone(gpointer data)
{
	/* the daemon closes each session when its client has gone */
	const char *sock = data;
	g_autofree char *got = exchange(sock, 0, "status\n");
	return g_str_has_prefix(got, "Receptor Control");
}

static void
test_200_concurrent_clients(Fixture *f, gconstpointer data)
{
	g_autofree char *sock = sock_path(f, "node1");
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(sock);
	RcTestNode *node = start_simple(f, "node1", NULL);
	Crowd crowd = { 0 };
	long base, after;

	g_free(exchange(sock, 0, "status\n")); /* warm up, then measure */
	base = rss_kib(rc_test_node_pid(node));
	for (guint i = 0; i < 200; i++) {
		Client *c = g_new0(Client, 1);
		c->crowd = &crowd;
		g_socket_client_connect_async(client, G_SOCKET_CONNECTABLE(addr), NULL,
					      client_connect_cb, c);
	}
	g_assert_true(rc_test_wait_until(crowd_done, &crowd, "200 clients answered", DEADLINE_S));
	g_assert_cmpuint(crowd.answered, ==, 200);
	g_assert_true(rc_test_wait_until(sessions_gone, sock, "daemon still answers", DEADLINE_S));
	after = rss_kib(rc_test_node_pid(node));
	g_test_message("RSS before %ld KiB, after 200 sessions %ld KiB", base, after);
	/* back near the baseline: no per-session memory kept (ASan's quarantine
	 * holds freed memory on purpose, so only without it) */
	if (g_getenv("ASAN_OPTIONS") == NULL)
		g_assert_cmpint(after, <, base + 8 * 1024);
}

/* ------------------------------------------------------------------ reload */

static JsonNode *
status_of(const char *sock)
{
	g_autofree char *got = exchange(sock, 0, "status\n");
	g_auto(GStrv) lines = g_strsplit(got, "\n", -1);
	g_autoptr(JsonParser) parser = json_parser_new();

	if (lines[0] == NULL || lines[1] == NULL ||
	    !json_parser_load_from_data(parser, lines[1], -1, NULL))
		return NULL;
	return json_node_copy(json_parser_get_root(parser));
}

typedef struct {
	const char *sock;
	const char *peer;
	gboolean want;
} ConnWait;

static gboolean
has_connection(gpointer data)
{
	ConnWait *w = data;
	g_autoptr(JsonNode) st = status_of(w->sock);
	JsonArray *conns;
	gboolean found = FALSE;

	if (st == NULL)
		return FALSE;
	conns = json_object_get_array_member(json_node_get_object(st), "Connections");
	for (guint i = 0; i < json_array_get_length(conns); i++) {
		JsonObject *c = json_array_get_object_element(conns, i);
		if (g_strcmp0(json_object_get_string_member(c, "NodeID"), w->peer) == 0)
			found = TRUE;
	}
	return found == w->want;
}

static void
test_reload_adds_removes_peer_refuses_broken(Fixture *f, gconstpointer data)
{
	guint16 port = rc_test_free_port();
	g_autofree char *sock1 = sock_path(f, "node1");
	g_autofree char *sock2 = sock_path(f, "node2");
	g_autofree char *listener = g_strdup_printf("- tcp-listener:\n    port: %u\n", port);
	g_autofree char *base2 = g_strdup_printf("- node:\n    id: node2\n"
						 "- control-service:\n    filename: %s\n", sock2);
	g_autofree char *file2 = g_strdup_printf("%s/node2.yml", f->dir);
	g_autofree char *with_peer = NULL;
	g_autofree char *without = NULL;
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	ConnWait w = { sock2, "node1", TRUE };

	start_simple(f, "node1", listener);
	without = g_strconcat(base2, "- local-only\n", NULL);
	start_node(f, "node2", without);
	with_peer = g_strdup_printf("%s- tcp-peer:\n    address: 127.0.0.1:%u\n", base2, port);

	g_assert_true(g_file_set_contents(file2, with_peer, -1, NULL));
	g_assert_cmpint(run_ctl(sock2, &out, &err, "reload", NULL), ==, 0);
	g_assert_cmpstr(out, ==, "Reload successful\n");
	g_assert_true(rc_test_wait_until(has_connection, &w, "node2 connected to node1",
					 DEADLINE_S));

	g_assert_true(g_file_set_contents(file2, without, -1, NULL));
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(run_ctl(sock2, &out, &err, "reload", NULL), ==, 0);
	w.want = FALSE;
	g_assert_true(rc_test_wait_until(has_connection, &w, "node2 without connection",
					 DEADLINE_S));

	/* a broken file is refused and the running configuration stays */
	g_assert_true(g_file_set_contents(file2, "- node:\n  id: [\n", -1, NULL));
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(run_ctl(sock2, &out, &err, "reload", NULL), ==, 4);
	g_assert_true(g_str_has_prefix(err, "ERROR: "));
	g_assert_nonnull(strstr(err, "ERRORCODE 4"));

	/* a changed non-reloadable item: code 3 */
	{
		g_autofree char *changed = g_strdup_printf("- node:\n    id: node2\n"
							   "- control-service:\n    filename: %s\n"
							   "    permissions: 0660\n- local-only\n",
							   sock2);
		g_assert_true(g_file_set_contents(file2, changed, -1, NULL));
	}
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(run_ctl(sock2, &out, &err, "reload", NULL), ==, 3);
	g_assert_cmpstr(err, ==,
			"ERROR: a non-reloadable config action 'control-service' was modified or "
			"added. Must restart receptor for these changes to take effect "
			"ERRORCODE 3\n");
	(void)sock1;
}

/* ------------------------------------------------------------------ connect */

#define STATUS_NODEID "{\"command\":\"status\",\"requested_fields\":[\"NodeID\"]}"

/* The command line and the payload arrive in ONE write and the client sends
 * nothing more: the payload must reach the service anyway (it used to wait in
 * the session's read buffer until more input or EOF came). */
static void
test_connect_payload_in_same_write(Fixture *f, gconstpointer data)
{
	g_autofree char *sock = sock_path(f, "node1");
	g_autoptr(GError) error = NULL;
	g_autofree char *got = NULL;

	start_simple(f, "node1", NULL);
	/* the target: this node's own control service over a mesh stream */
	got = rc_test_unix_exchange(sock, "connect localhost control\n" STATUS_NODEID "\n",
				    "{\"NodeID\":\"node1\"}\n", DEADLINE_S, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(got, ==,
			"Receptor Control, node node1\nConnecting\n"
			"Receptor Control, node node1\n{\"NodeID\":\"node1\"}\n");
}

/* The client's half-close reaches the target as EOF (its last line without
 * '\n' runs, control.md 2.2), the reply still comes back, and the target's
 * EOF then closes the client connection. */
static void
test_connect_half_close_propagates(Fixture *f, gconstpointer data)
{
	g_autofree char *sock = sock_path(f, "node1");
	g_autofree char *got = NULL;

	start_simple(f, "node1", NULL);
	got = exchange(sock, 0, "connect localhost control\n" STATUS_NODEID);
	g_assert_cmpstr(got, ==,
			"Receptor Control, node node1\nConnecting\n"
			"Receptor Control, node node1\n{\"NodeID\":\"node1\"}\n");
}

/* ------------------------------------------------------------------ 3 nodes */

static gboolean
knows_three(gpointer data)
{
	g_autoptr(JsonNode) st = status_of(data);
	return st != NULL &&
	       json_object_get_size(json_object_get_object_member(json_node_get_object(st),
								  "KnownConnectionCosts")) == 3 &&
	       json_object_get_size(json_object_get_object_member(json_node_get_object(st),
								  "RoutingTable")) == 2;
}

static void
test_three_node_status_json(Fixture *f, gconstpointer data)
{
	guint16 p1 = rc_test_free_port(), p2 = rc_test_free_port();
	g_autofree char *sock1 = sock_path(f, "node1");
	g_autofree char *s1 = NULL, *s2 = NULL, *s3 = NULL;
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *st;

	s1 = g_strdup_printf("- tcp-listener:\n    port: %u\n", p1);
	start_simple(f, "node1", s1);
	s2 = g_strdup_printf("- tcp-listener:\n    port: %u\n- tcp-peer:\n    address: 127.0.0.1:%u\n",
			     p2, p1);
	start_simple(f, "node2", s2);
	s3 = g_strdup_printf("- tcp-peer:\n    address: 127.0.0.1:%u\n", p2);
	start_simple(f, "node3", s3);
	g_assert_true(rc_test_wait_until(knows_three, sock1, "node1 knows 3 nodes", DEADLINE_S));

	g_assert_cmpint(run_ctl(sock1, &out, &err, "status", "--json", NULL), ==, 0);
	g_assert_true(json_parser_load_from_data(parser, out, -1, NULL));
	st = json_node_get_object(json_parser_get_root(parser));
	g_assert_cmpuint(json_object_get_size(st), ==, 8);
	g_assert_cmpstr(json_object_get_string_member(
				json_object_get_object_member(st, "RoutingTable"), "node3"),
			==, "node2");
	{
		JsonArray *conns = json_object_get_array_member(st, "Connections");
		JsonObject *c = json_array_get_object_element(conns, 0);
		g_assert_cmpuint(json_array_get_length(conns), ==, 1);
		g_assert_cmpstr(json_object_get_string_member(c, "NodeID"), ==, "node2");
		g_assert_cmpfloat(json_object_get_double_member(c, "Cost"), ==, 1.0);
	}
	{
		/* raw bytes: integral costs without ".0", maps sorted (control.md 2.9) */
		g_autofree char *raw = exchange(sock1, 0, "status\n");
		g_assert_nonnull(strstr(raw, "\"Connections\":[{\"NodeID\":\"node2\",\"Cost\":1}],"
					     "\"KnownConnectionCosts\":{\"node1\":{\"node2\":1},"
					     "\"node2\":{\"node1\":1,\"node3\":1},"
					     "\"node3\":{\"node2\":1}},\"NodeID\":\"node1\","
					     "\"RoutingTable\":{\"node2\":\"node2\",\"node3\":\"node2\"},"));
	}
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(run_ctl(sock1, &out, &err, "traceroute", "node3", NULL), ==, 0);
	{
		g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
		g_assert_true(g_str_has_prefix(lines[0], "0: node1 in "));
		g_assert_true(g_str_has_prefix(lines[1], "1: node2 in "));
		g_assert_true(g_str_has_prefix(lines[2], "2: node3 in "));
	}
}

/* ------------------------------------------------------------------ TLS */

static gboolean
openssl(const char *dir, const char *cmdline)
{
	g_autofree char *full = g_strdup_printf("cd '%s' && openssl %s", dir, cmdline);
	const char *argv[] = { "/bin/sh", "-c", full, NULL };
	g_autofree char *err = NULL;
	int rc = rc_test_run(argv, NULL, DEADLINE_S, NULL, &err);
	if (rc != 0)
		g_test_message("openssl %s: %s", cmdline, err);
	return rc == 0;
}

static void
test_tls_client_certificate_required(Fixture *f, gconstpointer data)
{
	guint16 port = rc_test_free_port();
	g_autofree char *openssl_path = g_find_program_in_path("openssl");
	g_autofree char *extra = NULL;
	g_autofree char *address = g_strdup_printf("tls://127.0.0.1:%u", port);
	g_autofree char *ca = g_strdup_printf("%s/ca.crt", f->dir);
	g_autofree char *ccert = g_strdup_printf("%s/client.crt", f->dir);
	g_autofree char *ckey = g_strdup_printf("%s/client.key", f->dir);
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	g_autofree char *ext = g_strdup_printf("%s/leaf.ext", f->dir);
	RcTestNode *node;

	/* openssl comes with tools/install-deps.sh; tls-server is a core entity. */
	g_assert_nonnull(openssl_path);
	{
		const char *argv[] = { rc_test_receptor_path(), "--help", NULL };
		g_autofree char *help = NULL;
		g_assert_cmpint(rc_test_run(argv, NULL, DEADLINE_S, &help, NULL), ==, 0);
		g_assert_nonnull(help);
		g_assert_nonnull(strstr(help, "--tls-server:"));
	}
	g_assert_true(g_file_set_contents(ext,
					  "subjectAltName=DNS:localhost,IP:127.0.0.1,"
					  "otherName:1.3.6.1.4.1.2312.19.1;UTF8:node1\n"
					  "extendedKeyUsage=serverAuth,clientAuth\n"
					  "keyUsage=critical,digitalSignature\n"
					  "authorityKeyIdentifier=keyid\n",
					  -1, NULL));
	g_assert_true(openssl(f->dir, "req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt "
				      "-days 2 -subj /CN=ca -addext basicConstraints=critical,CA:TRUE "
				      "-addext keyUsage=critical,keyCertSign,cRLSign"));
	for (guint i = 0; i < 2; i++) {
		const char *who = i == 0 ? "server" : "client";
		g_autofree char *req = g_strdup_printf(
			"req -newkey rsa:2048 -nodes -keyout %s.key -out %s.csr -subj /CN=%s", who,
			who, who);
		g_autofree char *sign = g_strdup_printf(
			"x509 -req -in %s.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out %s.crt "
			"-days 2 -extfile leaf.ext",
			who, who);
		g_assert_true(openssl(f->dir, req));
		g_assert_true(openssl(f->dir, sign));
	}
	extra = g_strdup_printf("- tls-server:\n    name: ctltls\n    cert: %s/server.crt\n"
				"    key: %s/server.key\n    requireclientcert: true\n"
				"    clientcas: %s\n"
				"- control-service:\n    service: ctltls\n    tcplisten: 127.0.0.1:%u\n"
				"    tcptls: ctltls\n",
				f->dir, f->dir, ca, port);
	node = start_simple(f, "node1", extra);

	/* with the client certificate: a normal session inside TLS */
	g_assert_cmpint(run_ctl(address, &out, &err, "--rootcas", ca, "--cert", ccert, "--key",
				ckey, "status", NULL),
			==, 0);
	g_assert_true(g_str_has_prefix(out, "Node ID: node1\n"));
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);

	/* without it: refused, the daemon logs the handshake error (control.md 1.4) */
	g_assert_cmpint(run_ctl(address, &out, &err, "--rootcas", ca, "status", NULL), ==, 1);
	g_assert_cmpstr(out, ==, "");
	g_assert_true(g_str_has_prefix(err, "ERROR: "));
	g_assert_true(rc_test_node_wait_log(node, "TLS handshake error: ", DEADLINE_S));
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);

	/* an untrusted server (no --rootcas, system trust): cannot connect */
	g_assert_cmpint(run_ctl(address, &out, &err, "--cert", ccert, "--key", ckey, "status", NULL),
			==, 1);
	g_assert_true(g_str_has_prefix(err, "ERROR: Could not connect to host 127.0.0.1 port "));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL); /* no ISOLATE_DIRS: GLib 2.74 leaks it under LSan */
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("/control/unix/worked-example-errors-byte-exact", test_worked_example_errors);
	ADD("/control/unix/partial-last-line-runs-at-eof", test_partial_last_line_runs_at_eof);
	ADD("/control/unix/ping-and-traceroute-to-self", test_ping_and_traceroute_self);
	ADD("/control/unix/socket-mode-0600-and-lock-refuses-second-daemon",
	    test_socket_mode_and_lock);
	ADD("/control/tcp/version-query-answered", test_tcp_listener_version_query);
	ADD("/control/receptorctl/commands-output-and-exit-codes", test_receptorctl_commands);
	ADD("/control/sessions/200-concurrent-clients-answered-rss-back-near-baseline",
	    test_200_concurrent_clients);
	ADD("/control/reload/adds-removes-peer-refuses-broken-and-non-reloadable",
	    test_reload_adds_removes_peer_refuses_broken);
	ADD("/control/connect/payload-in-the-same-write-reaches-the-service",
	    test_connect_payload_in_same_write);
	ADD("/control/connect/client-half-close-reaches-target-reply-still-returns",
	    test_connect_half_close_propagates);
	ADD("/control/mesh/three-nodes-status-json-routes-costs-traceroute",
	    test_three_node_status_json);
	ADD("/control/tls/client-certificate-required-and-refused",
	    test_tls_client_certificate_required);
#undef ADD
	return g_test_run();
}
