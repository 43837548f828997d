/* test-work.c: work units on a real daemon through the control service
 * (work.md, control.md 3.6, remote-work.md 5): payloads, results with
 * offsets, cancel of a process tree, release, runtime params, signatures,
 * surviving a daemon SIGKILL/SIGTERM, the on-disk layout. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <json-glib/json-glib.h>

#include <gio/gunixsocketaddress.h>

#include "rc-test.h"
#include "rc-work-sign.h"

typedef struct {
	char *dir;
	char *sock;
	char *yaml;
	char *node_id;
	guint16 tcp_port;
	RcTestNode *node;
} Fixture;

static char *
node_yaml(Fixture *f, const char *extra)
{
	return g_strdup_printf("---\n"
			       "- node:\n"
			       "    id: %s\n"
			       "    datadir: %s/data\n"
			       "- local-only:\n"
			       "- control-service:\n"
			       "    service: control\n"
			       "    filename: %s\n"
			       "- work-command:\n"
			       "    worktype: cat\n"
			       "    command: cat\n"
			       "- work-command:\n"
			       "    worktype: sh\n"
			       "    command: sh\n"
			       "    allowruntimeparams: true\n"
			       "%s",
			       f->node_id, f->dir, f->sock, extra != NULL ? extra : "");
}

static gboolean
sock_ready(gpointer data)
{
	Fixture *f = data;
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(f->sock);
	g_autoptr(GSocketConnection) conn = NULL;
	if (!g_file_test(f->sock, G_FILE_TEST_EXISTS))
		return FALSE;
	conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(addr), NULL, NULL);
	return conn != NULL;
}

static void
start_node(Fixture *f)
{
	g_unlink(f->sock);
	f->node = rc_test_node_start(f->dir, "wn1", f->yaml);
	g_assert_nonnull(f->node);
	if (!rc_test_wait_until(sock_ready, f, "control socket", 20))
		rc_test_node_dump_log(f->node);
}

static void
fixture_setup_with(Fixture *f, const char *extra)
{
	f->dir = rc_test_make_tmpdir("rc-work");
	f->sock = g_build_filename(f->dir, "ctl.sock", NULL);
	f->node_id = g_strdup("wn1");
	f->yaml = node_yaml(f, extra);
	start_node(f);
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	fixture_setup_with(f, NULL);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	if (f->node != NULL && g_test_failed())
		rc_test_node_dump_log(f->node);
	g_clear_pointer(&f->node, rc_test_node_free);
	rc_test_rmtree(f->dir);
	g_free(f->dir);
	g_free(f->sock);
	g_free(f->yaml);
	g_free(f->node_id);
}

/* ------------------------------------------------------------ a tiny client */

static GSocketConnection *
ctl_connect(Fixture *f, gboolean tcp)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketAddress) addr = NULL;
	g_autoptr(GError) error = NULL;
	GSocketConnection *conn;

	if (tcp) {
		g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
		addr = g_inet_socket_address_new(lo, f->tcp_port);
	} else {
		addr = g_unix_socket_address_new(f->sock);
	}
	conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(addr), NULL, &error);
	g_assert_no_error(error);
	g_socket_set_timeout(g_socket_connection_get_socket(conn), (guint)rc_test_scale(60));
	return conn;
}

static char *
read_line(GSocketConnection *conn)
{
	GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
	GString *line = g_string_new(NULL);
	for (;;) {
		char c;
		gssize n = g_input_stream_read(in, &c, 1, NULL, NULL);
		if (n <= 0)
			break;
		if (c == '\n')
			break;
		g_string_append_c(line, c);
	}
	return g_string_free(line, FALSE);
}

static void
write_all(GSocketConnection *conn, const void *data, gsize len)
{
	g_autoptr(GError) error = NULL;
	GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
	g_output_stream_write_all(out, data, len, NULL, NULL, &error);
	g_assert_no_error(error);
}

/* Greeting, one command, one reply line. */
static char *
ctl_command_on(Fixture *f, gboolean tcp, const char *command)
{
	g_autoptr(GSocketConnection) conn = ctl_connect(f, tcp);
	g_autofree char *greeting = read_line(conn);
	g_autofree char *expected = g_strdup_printf("Receptor Control, node %s", f->node_id);
	g_assert_cmpstr(greeting, ==, expected);
	write_all(conn, command, strlen(command));
	write_all(conn, "\n", 1);
	return read_line(conn);
}

static char *
ctl_command(Fixture *f, const char *command)
{
	return ctl_command_on(f, FALSE, command);
}

static JsonObject *
unit_status(Fixture *f, const char *id)
{
	g_autofree char *cmd = g_strdup_printf("work status %s", id);
	g_autofree char *line = ctl_command(f, cmd);
	g_autoptr(JsonNode) node = json_from_string(line, NULL);
	if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node))
		return NULL;
	return json_object_ref(json_node_get_object(node));
}

typedef struct {
	Fixture *f;
	const char *id;
	gint64 state;
	gint64 min_size;
} StateWait;

static gboolean
state_reached(gpointer data)
{
	StateWait *w = data;
	g_autoptr(JsonObject) st = unit_status(w->f, w->id);
	return st != NULL && json_object_get_int_member(st, "State") == w->state &&
	       json_object_get_int_member(st, "StdoutSize") >= w->min_size;
}

static void
wait_state(Fixture *f, const char *id, gint64 state, gint64 min_size)
{
	StateWait w = { f, id, state, min_size };
	g_autofree char *what = g_strdup_printf("unit %s in state %" G_GINT64_FORMAT, id, state);
	g_assert_true(rc_test_wait_until(state_reached, &w, what, 60));
}

/* Submit (JSON form) with the payload read from `payload_path` (nullable:
 * empty) or `payload` bytes; returns the unit ID. */
static char *
submit_full(Fixture *f, gboolean tcp, const char *json, const char *payload_path,
	    const char *payload, char **error_line)
{
	g_autoptr(GSocketConnection) conn = ctl_connect(f, tcp);
	g_autofree char *greeting = read_line(conn);
	g_autofree char *created = NULL;
	g_autofree char *reply = NULL;
	g_autoptr(GError) error = NULL;
	char *id;

	write_all(conn, json, strlen(json));
	write_all(conn, "\n", 1);
	created = read_line(conn);
	if (!g_str_has_prefix(created, "Work unit created with ID ")) {
		if (error_line != NULL)
			*error_line = g_steal_pointer(&created);
		return NULL;
	}
	g_assert_true(g_str_has_suffix(created, ". Send stdin data and EOF."));
	id = g_strndup(created + strlen("Work unit created with ID "), 8);
	if (payload_path != NULL) {
		g_autoptr(GFile) file = g_file_new_for_path(payload_path);
		g_autoptr(GFileInputStream) in = g_file_read(file, NULL, &error);
		g_assert_no_error(error);
		g_output_stream_splice(g_io_stream_get_output_stream(G_IO_STREAM(conn)),
				       G_INPUT_STREAM(in), G_OUTPUT_STREAM_SPLICE_NONE, NULL, &error);
		g_assert_no_error(error);
	} else if (payload != NULL) {
		write_all(conn, payload, strlen(payload));
	}
	g_socket_shutdown(g_socket_connection_get_socket(conn), FALSE, TRUE, &error);
	g_assert_no_error(error);
	reply = read_line(conn);
	if (error_line != NULL && g_str_has_prefix(reply, "ERROR")) {
		*error_line = g_steal_pointer(&reply);
		return id;
	}
	g_autofree char *expected = g_strdup_printf("{\"result\":\"Job Started\",\"unitid\":\"%s\"}",
						    id);
	g_assert_cmpstr(reply, ==, expected);
	return id;
}

static char *
submit(Fixture *f, const char *worktype, const char *params, const char *payload)
{
	g_autoptr(GString) json = g_string_new(NULL);
	g_string_printf(json, "{\"command\":\"work\",\"subcommand\":\"submit\",\"node\":\"localhost\","
			      "\"worktype\":\"%s\"",
			worktype);
	if (params != NULL) {
		g_autofree char *escaped = g_strescape(params, NULL);
		g_string_append_printf(json, ",\"params\":\"%s\"", escaped);
	}
	g_string_append_c(json, '}');
	return submit_full(f, FALSE, json->str, NULL, payload, NULL);
}

/* Stream `work results id offset` to its end; checksum and/or collect. */
static GBytes *
results(Fixture *f, const char *id, gint64 offset, GChecksum *sum)
{
	g_autoptr(GSocketConnection) conn = ctl_connect(f, FALSE);
	g_autofree char *greeting = read_line(conn);
	g_autofree char *cmd = g_strdup_printf("work results %s %" G_GINT64_FORMAT "\n", id, offset);
	g_autofree char *header = NULL;
	g_autofree char *expected = g_strdup_printf("Streaming results for work unit %s", id);
	GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
	g_autoptr(GByteArray) data = g_byte_array_new();
	guint8 buf[65536];

	write_all(conn, cmd, strlen(cmd));
	header = read_line(conn);
	g_assert_cmpstr(header, ==, expected);
	g_socket_shutdown(g_socket_connection_get_socket(conn), FALSE, TRUE, NULL);
	for (;;) {
		g_autoptr(GError) error = NULL;
		gssize n = g_input_stream_read(in, buf, sizeof(buf), NULL, &error);
		g_assert_no_error(error);
		if (n <= 0)
			break;
		if (sum != NULL)
			g_checksum_update(sum, buf, n);
		else
			g_byte_array_append(data, buf, (guint)n);
	}
	return g_byte_array_free_to_bytes(g_steal_pointer(&data));
}

static void
assert_results(Fixture *f, const char *id, gint64 offset, const char *expected)
{
	g_autoptr(GBytes) got = results(f, id, offset, NULL);
	gsize len = 0;
	const char *data = g_bytes_get_data(got, &len);
	g_assert_cmpmem(data, len, expected, strlen(expected));
}

/* ------------------------------------------------------------ tests */

static void
test_payloads(Fixture *f, gconstpointer data)
{
	/* empty */
	g_autofree char *empty = submit(f, "cat", NULL, NULL);
	wait_state(f, empty, 2, 0);
	assert_results(f, empty, 0, "");
	/* small */
	g_autofree char *small = submit(f, "cat", NULL, "hello\n");
	wait_state(f, small, 2, 6);
	assert_results(f, small, 0, "hello\n");

	/* 100 MiB, streamed from a file, SHA-256 compared */
	g_autofree char *path = g_build_filename(f->dir, "big", NULL);
	g_autoptr(GChecksum) sent = g_checksum_new(G_CHECKSUM_SHA256);
	g_autoptr(GChecksum) got = g_checksum_new(G_CHECKSUM_SHA256);
	{
		g_autoptr(GRand) rand = g_rand_new_with_seed(42);
		FILE *fp = fopen(path, "wb");
		guint32 block[16384];
		g_assert_nonnull(fp);
		for (guint i = 0; i < (100u << 20) / sizeof(block); i++) {
			for (guint j = 0; j < G_N_ELEMENTS(block); j++)
				block[j] = g_rand_int(rand);
			g_checksum_update(sent, (const guchar *)block, sizeof(block));
			g_assert_cmpuint(fwrite(block, 1, sizeof(block), fp), ==, sizeof(block));
		}
		fclose(fp);
	}
	g_autofree char *big = submit_full(
		f, FALSE,
		"{\"command\":\"work\",\"subcommand\":\"submit\",\"node\":\"wn1\",\"worktype\":\"cat\"}",
		path, NULL, NULL);
	wait_state(f, big, 2, 100 << 20);
	g_autoptr(GBytes) none = results(f, big, 0, got);
	g_assert_cmpstr(g_checksum_get_string(got), ==, g_checksum_get_string(sent));
}

static void
test_results_offsets(Fixture *f, gconstpointer data)
{
	g_autofree char *go = g_build_filename(f->dir, "go", NULL);
	g_autofree char *params = g_strdup_printf(
		"-c \"printf 0123456789; while [ ! -e %s ] && [ -d %s ]; do sleep 0.05; done; "
		"printf abcdef\"",
		go, f->dir);
	g_autofree char *id = submit(f, "sh", params, NULL);
	wait_state(f, id, 1, 10);
	/* while running: start the stream, then let the unit finish */
	{
		g_autoptr(GSocketConnection) conn = ctl_connect(f, FALSE);
		g_autofree char *greeting = read_line(conn);
		g_autofree char *cmd = g_strdup_printf("work results %s 4\n", id);
		g_autofree char *header = NULL;
		GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
		char buf[64];
		gsize got = 0;
		write_all(conn, cmd, strlen(cmd));
		header = read_line(conn);
		g_assert_true(g_str_has_prefix(header, "Streaming results for work unit "));
		g_assert_true(g_input_stream_read_all(in, buf, 6, &got, NULL, NULL));
		g_assert_cmpmem(buf, got, "456789", 6);
		g_assert_true(g_file_set_contents(go, "", 0, NULL));
		g_assert_true(g_input_stream_read_all(in, buf, sizeof(buf), &got, NULL, NULL));
		g_assert_cmpmem(buf, got, "abcdef", 6); /* then the server closed */
	}
	wait_state(f, id, 2, 16);
	assert_results(f, id, 0, "0123456789abcdef");
	assert_results(f, id, 10, "abcdef");
	assert_results(f, id, 100, "");
}

static gboolean
process_gone(gpointer data)
{
	pid_t pid = GPOINTER_TO_INT(data);
	return kill(pid, 0) < 0 && errno == ESRCH;
}

static gboolean
group_gone(gpointer data)
{
	pid_t pid = GPOINTER_TO_INT(data);
	return kill(-pid, 0) < 0 && errno == ESRCH;
}

static void
test_cancel_tree(Fixture *f, gconstpointer data)
{
	g_autofree char *id = submit(f, "sh", "-c \"sleep 300 & echo $!; sleep 300\"", NULL);
	g_autoptr(JsonObject) st = NULL;
	g_autofree char *reply = NULL, *cmd = NULL, *expected = NULL;
	g_autoptr(GBytes) out = NULL;
	int child, grandchild;

	wait_state(f, id, 1, 2);
	st = unit_status(f, id);
	g_assert_cmpint(sscanf(json_object_get_string_member(st, "Detail"), "Running: PID %d",
			       &child),
			==, 1);
	{
		g_autofree char *path = g_build_filename(f->dir, "data", "wn1", id, "stdout", NULL);
		g_autofree char *text = NULL;
		g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
		grandchild = atoi(text);
		g_assert_cmpint(grandchild, >, 1);
	}
	cmd = g_strdup_printf("work cancel %s", id);
	reply = ctl_command(f, cmd);
	expected = g_strdup_printf("{\"cancelled\":\"%s\"}", id);
	g_assert_cmpstr(reply, ==, expected);
	g_clear_pointer(&st, json_object_unref);
	st = unit_status(f, id);
	g_assert_cmpint(json_object_get_int_member(st, "State"), ==, 4);
	g_assert_cmpstr(json_object_get_string_member(st, "Detail"), ==, "Canceled");
	g_assert_true(rc_test_wait_until(process_gone, GINT_TO_POINTER(grandchild),
					 "grandchild killed", 30));
	g_assert_true(rc_test_wait_until(group_gone, GINT_TO_POINTER(child),
					 "child's process group gone", 30));
	/* receptor-c ends the results of a Canceled unit (docs/differences.md) */
	out = results(f, id, 0, NULL);
	g_assert_cmpuint(g_bytes_get_size(out), >, 0);
}

static void
test_release(Fixture *f, gconstpointer data)
{
	g_autofree char *id = submit(f, "cat", NULL, "x\n");
	g_autofree char *dir = NULL, *cmd = NULL, *reply = NULL, *expected = NULL;

	wait_state(f, id, 2, 2);
	dir = g_build_filename(f->dir, "data", "wn1", id, NULL);
	g_assert_true(g_file_test(dir, G_FILE_TEST_IS_DIR));
	cmd = g_strdup_printf("work release %s", id);
	reply = ctl_command(f, cmd);
	expected = g_strdup_printf("{\"released\":\"%s\"}", id);
	g_assert_cmpstr(reply, ==, expected);
	g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
	g_clear_pointer(&reply, g_free);
	reply = ctl_command(f, cmd);
	g_clear_pointer(&expected, g_free);
	expected = g_strdup_printf("ERROR: unknown work unit %s", id);
	g_assert_cmpstr(reply, ==, expected);
	/* force-release of a running unit */
	g_autofree char *running = submit(f, "sh", "-c \"sleep 300\"", NULL);
	g_autofree char *force = g_strdup_printf("work force-release %s", running);
	g_autofree char *freply = NULL, *fexpected = NULL;
	wait_state(f, running, 1, 0);
	freply = ctl_command(f, force);
	fexpected = g_strdup_printf("{\"released\":\"%s\"}", running);
	g_assert_cmpstr(freply, ==, fexpected);
}

static void
test_runtime_params(Fixture *f, gconstpointer data)
{
	g_autofree char *err = NULL;
	g_autofree char *id = submit_full(
		f, FALSE,
		"{\"command\":\"work\",\"subcommand\":\"submit\",\"node\":\"localhost\",\"worktype\":"
		"\"cat\",\"params\":\"-n\"}",
		NULL, NULL, &err);
	g_assert_null(id);
	g_assert_cmpstr(err, ==, "ERROR: extra params provided but not allowed");
	g_autofree char *ok = submit(f, "sh", "-c \"echo it works\"", NULL);
	wait_state(f, ok, 2, 9);
	assert_results(f, ok, 0, "it works\n");
	g_autofree char *list = ctl_command(f, "work list");
	g_assert_nonnull(strstr(list, ok));
	g_autofree char *ttl = NULL;
	g_autofree char *none = submit_full(
		f, FALSE,
		"{\"command\":\"work\",\"subcommand\":\"submit\",\"node\":\"localhost\",\"worktype\":"
		"\"cat\",\"ttl\":\"5m\"}",
		NULL, NULL, &ttl);
	g_assert_null(none);
	g_assert_cmpstr(ttl, ==, "ERROR: ttl option is intended for remote work only");
	g_autofree char *unknown = ctl_command(f, "work submit localhost nosuch");
	g_assert_cmpstr(unknown, ==, "ERROR: unknown work type nosuch");
}

static void
restart_mid_unit(Fixture *f, gboolean hard)
{
	g_autofree char *go = g_build_filename(f->dir, "go", NULL);
	g_autofree char *params = g_strdup_printf(
		"-c \"printf start; while [ ! -e %s ] && [ -d %s ]; do sleep 0.05; done; printf end\"",
		go, f->dir);
	g_autofree char *id = submit(f, "sh", params, NULL);
	g_autoptr(JsonObject) st = NULL;

	wait_state(f, id, 1, 5);
	if (hard)
		rc_test_node_kill(f->node);
	else
		g_assert_cmpint(rc_test_node_stop(f->node), ==, 0);
	g_clear_pointer(&f->node, rc_test_node_free);
	start_node(f);
	g_assert_true(g_file_set_contents(go, "", 0, NULL));
	wait_state(f, id, 2, 8);
	assert_results(f, id, 0, "startend");
	st = unit_status(f, id);
	g_assert_cmpstr(json_object_get_string_member(st, "Detail"), ==, "exit status 0");
	/* not the runner's parent any more: ExtraData is never cleared (work.md 5.4) */
	g_assert_true(JSON_NODE_HOLDS_OBJECT(json_object_get_member(st, "ExtraData")));
}

static void
test_restart_sigkill(Fixture *f, gconstpointer data)
{
	restart_mid_unit(f, TRUE);
}

static void
test_restart_sigterm(Fixture *f, gconstpointer data)
{
	restart_mid_unit(f, FALSE);
}

typedef struct {
	const char *path;
	const char *expected;
} FileWait;

static gboolean
file_is(gpointer data)
{
	FileWait *w = data;
	g_autofree char *text = NULL;
	return g_file_get_contents(w->path, &text, NULL, NULL) && g_str_equal(text, w->expected);
}

static void
assert_mode(const char *dir, const char *name, guint mode, goffset size)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	GStatBuf st;
	g_assert_cmpint(g_stat(path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, mode);
	if (size >= 0)
		g_assert_cmpint(st.st_size, ==, size);
}

static void
test_layout(Fixture *f, gconstpointer data)
{
	/* work.md 1.4 */
	static const char expected[] =
		"{\"State\":2,\"Detail\":\"exit status 0\",\"StdoutSize\":6,\"WorkType\":\"cat\","
		"\"ExtraData\":null}\n";
	g_autofree char *id = submit(f, "cat", NULL, "hello\n");
	g_autofree char *node_dir = g_build_filename(f->dir, "data", "wn1", NULL);
	g_autofree char *dir = g_build_filename(node_dir, id, NULL);
	g_autofree char *status = g_build_filename(dir, "status", NULL);
	FileWait w = { status, expected };
	g_autoptr(GDir) d = NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;
	g_autofree char *stdin_text = NULL, *stdout_text = NULL;

	g_assert_true(rc_test_wait_until(file_is, &w, "the final status file", 60));
	assert_mode(node_dir, ".", 0700, -1);
	assert_mode(dir, ".", 0700, -1);
	assert_mode(dir, "status", 0600, 86);
	assert_mode(dir, "status.lock", 0600, 0);
	assert_mode(dir, "stdin", 0600, 6);
	assert_mode(dir, "stdout", 0600, 6);
	d = g_dir_open(dir, 0, NULL);
	while ((name = g_dir_read_name(d)) != NULL)
		g_ptr_array_add(names, g_strdup(name));
	g_assert_cmpuint(names->len, ==, 4);
	g_autofree char *stdout_path = g_build_filename(dir, "stdout", NULL);
	g_assert_true(g_file_get_contents(stdout_path, &stdout_text, NULL, NULL));
	g_assert_cmpstr(stdout_text, ==, "hello\n");
	/* the reply object (control.md 4.7) */
	g_autofree char *cmd = g_strdup_printf("work status %s", id);
	g_autofree char *reply = ctl_command(f, cmd);
	g_assert_cmpstr(reply, ==,
			"{\"Detail\":\"exit status 0\",\"ExtraData\":null,\"State\":2,\"StateName\":"
			"\"Succeeded\",\"StdoutSize\":6,\"WorkType\":\"cat\"}");
}

static void
test_corrupt_at_startup(Fixture *f, gconstpointer data)
{
	g_autofree char *id = submit(f, "cat", NULL, "ok\n");
	g_autofree char *bad = g_build_filename(f->dir, "data", "wn1", "zzzzBAD1", NULL);
	g_autofree char *bad_status = g_build_filename(bad, "status", NULL);
	g_autofree char *list = NULL, *text = NULL;

	wait_state(f, id, 2, 3);
	g_assert_cmpint(rc_test_node_stop(f->node), ==, 0);
	g_clear_pointer(&f->node, rc_test_node_free);
	g_assert_cmpint(g_mkdir_with_parents(bad, 0700), ==, 0);
	g_assert_true(g_file_set_contents(bad_status, "{\"State\":", -1, NULL));
	start_node(f);
	g_assert_true(rc_test_node_wait_log(f->node, "zzzzBAD1", 20));
	g_assert_true(rc_test_node_log_contains(f->node, "ERROR"));
	list = ctl_command(f, "work list");
	g_assert_nonnull(strstr(list, id));
	g_assert_nonnull(strstr(list, "\"zzzzBAD1\":{\"Detail\":\"Failed to restart: "));
	g_assert_true(g_file_get_contents(bad_status, &text, NULL, NULL));
	g_assert_cmpstr(text, ==, "{\"State\":");
	assert_results(f, id, 0, "ok\n");
}

static void
test_disk_full(void)
{
	g_autofree char *dir = rc_test_make_tmpdir("rc-work-full");
	g_autofree char *mnt = g_build_filename(dir, "full", NULL);
	g_autofree char *unit = g_build_filename(mnt, "u1", NULL);
	g_autofree char *stdin_path = g_build_filename(unit, "stdin", NULL);
	g_autofree char *status = g_build_filename(unit, "status", NULL);
	g_autofree char *unit_arg = g_strdup_printf("unitdir=%s", unit);
	g_autofree char *text = NULL;
	int rc;

	g_assert_cmpint(g_mkdir(mnt, 0700), ==, 0);
	if (getuid() != 0) {
		g_test_skip("needs root to mount a 1 MiB tmpfs (CI runs as root)");
		rc_test_rmtree(dir);
		return;
	}
	/* As root (CI) a failing mount is a failure, not a skip. */
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=1m") != 0) {
		int errsv = errno;
		g_test_fail_printf("mount tmpfs on %s: %s", mnt, g_strerror(errsv));
		rc_test_rmtree(dir);
		return;
	}
	g_assert_cmpint(g_mkdir(unit, 0700), ==, 0);
	g_assert_true(g_file_set_contents(stdin_path, "", 0, NULL));
	g_assert_true(g_file_set_contents(
		status,
		"{\"State\":0,\"Detail\":\"Launching command runner\",\"StdoutSize\":0,"
		"\"WorkType\":\"sh\",\"ExtraData\":{\"Pid\":1,\"Params\":\"\"}}\n",
		-1, NULL));
	const char *argv[] = { rc_test_receptor_path(), "--node", "id=worker", "--log-level",
			       "info", "--command-runner", "command=sh",
			       "params=-c \"head -c 2000000 /dev/zero\"", unit_arg, NULL };
	rc = rc_test_run(argv, NULL, 60, NULL, NULL);
	g_assert_true(g_file_get_contents(status, &text, NULL, NULL));
	umount2(mnt, MNT_DETACH);
	rc_test_rmtree(dir);
	g_assert_cmpint(rc, ==, 1);
	g_assert_true(g_str_has_prefix(
		text, "{\"State\":3,\"Detail\":\"exit status 1 (no space left on device)\""));
}

/* ------------------------------------------------------------ signatures */

static void
write_keys(const char *dir, char **priv_path, char **pub_path)
{
	gnutls_x509_privkey_t x;
	gnutls_privkey_t pk;
	gnutls_pubkey_t pub;
	gnutls_datum_t out = { NULL, 0 };

	*priv_path = g_build_filename(dir, "sign.key", NULL);
	*pub_path = g_build_filename(dir, "sign.pub", NULL);
	gnutls_x509_privkey_init(&x);
	g_assert_cmpint(gnutls_x509_privkey_generate(x, GNUTLS_PK_RSA, 2048, 0), ==, 0);
	g_assert_cmpint(gnutls_x509_privkey_export2(x, GNUTLS_X509_FMT_PEM, &out), ==, 0);
	g_assert_true(g_file_set_contents(*priv_path, (char *)out.data, out.size, NULL));
	gnutls_free(out.data);
	gnutls_privkey_init(&pk);
	gnutls_privkey_import_x509(pk, x, 0);
	gnutls_pubkey_init(&pub);
	gnutls_pubkey_import_privkey(pub, pk, 0, 0);
	g_assert_cmpint(gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_PEM, &out), ==, 0);
	g_assert_true(g_file_set_contents(*pub_path, (char *)out.data, out.size, NULL));
	gnutls_free(out.data);
	gnutls_pubkey_deinit(pub);
	gnutls_privkey_deinit(pk);
	gnutls_x509_privkey_deinit(x);
}

static char *
signed_submit(Fixture *f, const char *token, char **error_line)
{
	g_autofree char *json = g_strdup_printf(
		"{\"command\":\"work\",\"subcommand\":\"submit\",\"node\":\"wn1\",\"worktype\":"
		"\"secure\"%s%s%s}",
		token != NULL ? ",\"signature\":\"" : "", token != NULL ? token : "",
		token != NULL ? "\"" : "");
	return submit_full(f, TRUE, json, NULL, "signed\n", error_line);
}

static void
test_signatures(void)
{
	Fixture fx = { 0 }, *f = &fx;
	g_autofree char *priv = NULL, *pub = NULL, *extra = NULL;
	g_autofree char *other_priv = NULL, *other_pub = NULL;
	g_autofree char *other_dir = NULL;
	gint64 now = g_get_real_time();

	f->dir = rc_test_make_tmpdir("rc-work-sign");
	other_dir = g_build_filename(f->dir, "other", NULL);
	g_mkdir(other_dir, 0700);
	write_keys(f->dir, &priv, &pub);
	write_keys(other_dir, &other_priv, &other_pub);
	f->tcp_port = rc_test_free_port();
	f->sock = g_build_filename(f->dir, "ctl.sock", NULL);
	f->node_id = g_strdup("wn1");
	extra = g_strdup_printf("- work-verification:\n"
				"    publickey: %s\n"
				"- control-service:\n"
				"    service: ctltcp\n"
				"    tcplisten: 127.0.0.1:%u\n"
				"- work-command:\n"
				"    worktype: secure\n"
				"    command: cat\n"
				"    verifysignature: true\n",
				pub, f->tcp_port);
	f->yaml = node_yaml(f, extra);
	start_node(f);

	g_autofree char *good = rc_work_sign_token(priv, "wn1", 60 * G_USEC_PER_SEC, now, NULL);
	g_autofree char *forged = rc_work_sign_token(other_priv, "wn1", 60 * G_USEC_PER_SEC, now,
						     NULL);
	g_autofree char *expired = rc_work_sign_token(priv, "wn1", 0, now - 10 * G_USEC_PER_SEC,
						      NULL);
	g_autofree char *err = NULL;
	g_autofree char *id = NULL;

	/* accepted over TCP */
	id = signed_submit(f, good, NULL);
	g_assert_nonnull(id);
	wait_state(f, id, 2, 7);
	assert_results(f, id, 0, "signed\n");
	/* unsigned, forged, expired: refused */
	g_assert_null(signed_submit(f, NULL, &err));
	g_assert_cmpstr(err, ==, "ERROR: could not verify signature: signature is empty");
	g_clear_pointer(&err, g_free);
	g_assert_null(signed_submit(f, forged, &err));
	g_assert_cmpstr(err, ==, "ERROR: could not verify signature: crypto/rsa: verification error");
	g_clear_pointer(&err, g_free);
	g_assert_null(signed_submit(f, expired, &err));
	g_assert_true(g_str_has_prefix(err, "ERROR: could not verify signature: token is expired by "));
	g_clear_pointer(&err, g_free);
	/* a signature where none is expected */
	g_autofree char *json = g_strdup_printf(
		"{\"command\":\"work\",\"subcommand\":\"submit\",\"node\":\"wn1\",\"worktype\":\"cat\","
		"\"signature\":\"%s\"}",
		good);
	g_autofree char *reply = ctl_command_on(f, TRUE, json);
	g_assert_cmpstr(reply, ==, "ERROR: work type did not expect a signature");
	/* Unix-socket sessions are never checked (control.md 3.6.3) */
	g_autofree char *unix_id = submit(f, "secure", NULL, "u\n");
	wait_state(f, unix_id, 2, 2);
	fixture_teardown(f, NULL);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	gnutls_global_init();
#define ADD(path, func) \
	g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD("/work/submit/empty-small-and-100mib-payloads-come-back-byte-exact", test_payloads);
	ADD("/work/results/offsets-while-running-and-after", test_results_offsets);
	ADD("/work/cancel/kills-the-whole-process-tree", test_cancel_tree);
	ADD("/work/release/removes-the-unit-folder", test_release);
	ADD("/work/submit/runtime-params-only-with-allowruntimeparams", test_runtime_params);
	ADD("/work/restart/daemon-sigkill-mid-unit-is-adopted-and-succeeds", test_restart_sigkill);
	ADD("/work/restart/daemon-sigterm-mid-unit-is-adopted-and-succeeds", test_restart_sigterm);
	ADD("/work/layout/finished-unit-matches-the-worked-example", test_layout);
	ADD("/work/restore/corrupt-status-file-is-a-clear-error-and-touches-no-other-unit",
	    test_corrupt_at_startup);
	g_test_add_func("/work/runner/disk-full-is-reported-in-detail", test_disk_full);
	g_test_add_func("/work/sign/signed-accepted-unsigned-forged-expired-refused",
			test_signatures);
	return g_test_run();
}
