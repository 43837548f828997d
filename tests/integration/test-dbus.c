/* test-dbus.c: the optional D-Bus status object (core/rc-dbus.c) of a real
 * `receptor`, on a private bus from GTestDBus (STYLE.md 5), never the
 * developer's session bus.
 *
 * The environment variable RECEPTOR_DBUS is set before each daemon is spawned.
 * Tests that change it run before the one that connects this process to a
 * bus, so no g_setenv races GDBus's worker thread. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "rc-dbus-generated.h"
#include "rc-dbus.h"
#include "rc-test.h"

#define DBUS_DEADLINE_S 30.0

static char *
node_yaml(const char *dir, const char *id, guint16 listen_port, guint16 peer_port)
{
	GString *y = g_string_new("---\n");
	g_string_append_printf(y, "- node:\n    id: %s\n    datadir: %s/%s-data\n", id, dir, id);
	g_string_append(y, "- log-level:\n    level: debug\n");
	if (listen_port != 0)
		g_string_append_printf(y, "- tcp-listener:\n    bindaddr: 127.0.0.1\n    port: %u\n",
				       listen_port);
	if (peer_port != 0)
		g_string_append_printf(y, "- tcp-peer:\n    address: 127.0.0.1:%u\n", peer_port);
	g_string_append(y, "- work-command:\n    worktype: echo\n    command: cat\n");
	return g_string_free(y, FALSE);
}

static void
stop_node(RcTestNode *node)
{
	if (g_test_failed())
		rc_test_node_dump_log(node);
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

/* ------------------------------------------------------------------ no bus */

static void
test_unreachable_bus_is_one_debug_line(void)
{
	g_autofree char *dir = rc_test_make_tmpdir("dbus");
	g_autofree char *addr = g_strdup_printf("unix:path=%s/no-such-bus", dir);
	g_autofree char *yaml = node_yaml(dir, "nobus", rc_test_free_port(), 0);

	g_setenv(RC_DBUS_ENV, addr, TRUE);
	g_autoptr(RcTestNode) node = rc_test_node_start(dir, "nobus", yaml);
	g_unsetenv(RC_DBUS_ENV);

	g_assert_true(rc_test_node_wait_log(node, "Initialization complete", DBUS_DEADLINE_S));
	g_assert_true(rc_test_node_wait_log(node, "D-Bus: cannot connect to the unix:path=",
					    DBUS_DEADLINE_S));
	g_assert_false(rc_test_node_exited(node, NULL));
	stop_node(node);
	rc_test_rmtree(dir);
}

static void
test_unknown_value_is_one_warning(void)
{
	g_autofree char *dir = rc_test_make_tmpdir("dbus");
	g_autofree char *yaml = node_yaml(dir, "badbus", rc_test_free_port(), 0);

	g_setenv(RC_DBUS_ENV, "sesion", TRUE);
	g_autoptr(RcTestNode) node = rc_test_node_start(dir, "badbus", yaml);
	g_unsetenv(RC_DBUS_ENV);

	g_assert_true(rc_test_node_wait_log(
	    node, "RECEPTOR_DBUS=sesion: expected session, system or a D-Bus address; "
		  "no D-Bus status object\n",
	    DBUS_DEADLINE_S));
	g_assert_false(rc_test_node_exited(node, NULL));
	stop_node(node);
	rc_test_rmtree(dir);
}

/* ------------------------------------------------------------------ bus policy */

/* A bus configured like Debian's system bus (system.conf: nobody may own
 * names or call methods unless a policy allows it; signals and replies pass)
 * that includes data/dbus/<name>.conf. */
static char *
system_like_config(const char *dir, const char *policy)
{
	return g_strdup_printf(
	    "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
	    " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
	    "<busconfig>\n"
	    "  <type>system</type>\n"
	    "  <listen>unix:path=%s/system_bus_socket</listen>\n"
	    "  <auth>EXTERNAL</auth>\n"
	    "  <policy context=\"default\">\n"
	    "    <deny own=\"*\"/>\n"
	    "    <deny send_type=\"method_call\"/>\n"
	    "    <allow send_type=\"signal\"/>\n"
	    "    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
	    "    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"
	    "    <allow receive_type=\"method_call\"/>\n"
	    "    <allow receive_type=\"method_return\"/>\n"
	    "    <allow receive_type=\"error\"/>\n"
	    "    <allow receive_type=\"signal\"/>\n"
	    "    <allow send_destination=\"org.freedesktop.DBus\"\n"
	    "           send_interface=\"org.freedesktop.DBus\"/>\n"
	    "  </policy>\n"
	    "  <include>%s</include>\n"
	    "</busconfig>\n",
	    dir, policy);
}

typedef struct {
	gboolean exited;
} BusExit;

static void
die_with_test(gpointer data)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static void
on_bus_exit(GPid pid, gint status, gpointer data)
{
	BusExit *e = data;
	e->exited = TRUE;
	g_spawn_close_pid(pid);
}

static gboolean
bus_has_exited(gpointer data)
{
	BusExit *e = data;
	return e->exited;
}

static gboolean
socket_exists(gpointer data)
{
	return g_file_test(data, G_FILE_TEST_EXISTS);
}

static int
gdbus_call(const char *address, const char *method, const char *args2, char **out, char **err)
{
	const char *argv[] = {"gdbus", "call", "--address", address, "--dest", RC_DBUS_NAME,
			      "--object-path", RC_DBUS_PATH, "--method", method,
			      RC_DBUS_NAME ".Node", args2, NULL};
	return rc_test_run(argv, NULL, rc_test_scale(DBUS_DEADLINE_S), out, err);
}

static void
test_system_policy_lets_root_own_and_anyone_read(void)
{
	g_autofree char *daemon = g_find_program_in_path("dbus-daemon");
	g_autofree char *gdbus = g_find_program_in_path("gdbus");
	if (daemon == NULL || gdbus == NULL) {
		g_test_skip("dbus-daemon or gdbus is not installed (Debian packages dbus, "
			    "libglib2.0-bin)");
		return;
	}
	if (getuid() != 0) {
		g_test_skip("the policy lets only root own the name; not running as root");
		return;
	}
	g_autofree char *dir = rc_test_make_tmpdir("dbus");
	g_autofree char *policy = g_test_build_filename(
	    G_TEST_DIST, "..", "data", "dbus", RC_DBUS_NAME ".conf", NULL);
	g_autofree char *conf = system_like_config(dir, policy);
	g_autofree char *conf_path = g_build_filename(dir, "system.conf", NULL);
	g_autofree char *config_arg = g_strdup_printf("--config-file=%s", conf_path);
	g_autoptr(GError) error = NULL;
	g_file_set_contents(conf_path, conf, -1, &error);
	g_assert_no_error(error);

	/* The bus dies with the test, even when an assertion aborts it. */
	g_autofree char *socket_path = g_build_filename(dir, "system_bus_socket", NULL);
	const char *argv[] = {daemon, config_arg, "--nofork", "--nosyslog", NULL};
	g_autofree char *bus_log = g_build_filename(dir, "bus.log", NULL);
	int log_fd = g_open(bus_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	g_assert_cmpint(log_fd, >=, 0);
	GPid bus_pid = 0;
	BusExit bus_exit = {.exited = FALSE};
	g_spawn_async_with_pipes_and_fds(dir, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, die_with_test,
					 NULL, -1, log_fd, log_fd, NULL, NULL, 0, &bus_pid, NULL,
					 NULL, NULL, &error);
	g_assert_no_error(error);
	close(log_fd);
	g_child_watch_add(bus_pid, on_bus_exit, &bus_exit);
	g_assert_true(rc_test_wait_until(socket_exists, socket_path, "the bus socket",
					 DBUS_DEADLINE_S));
	/* A policy the bus cannot load ends it at once. */
	if (bus_exit.exited) {
		g_autofree char *text = NULL;
		g_file_get_contents(bus_log, &text, NULL, NULL);
		g_test_message("dbus-daemon: %s", text);
	}
	g_assert_false(bus_exit.exited);

	g_autofree char *address = g_strdup_printf("unix:path=%s/system_bus_socket", dir);
	g_autofree char *yaml = node_yaml(dir, "sysbus", rc_test_free_port(), 0);
	g_setenv(RC_DBUS_ENV, address, TRUE);
	g_autoptr(RcTestNode) node = rc_test_node_start(dir, "sysbus", yaml);
	g_unsetenv(RC_DBUS_ENV);
	g_assert_true(rc_test_node_wait_log(
	    node, "D-Bus: status object " RC_DBUS_PATH " on the unix:path=", DBUS_DEADLINE_S));
	g_assert_true(rc_test_node_wait_log(node, " as " RC_DBUS_NAME "\n", DBUS_DEADLINE_S));

	g_autofree char *got = NULL;
	g_autofree char *got_err = NULL;
	int rc = gdbus_call(address, "org.freedesktop.DBus.Properties.Get", "NodeID", &got, &got_err);
	if (rc != 0)
		g_test_message("gdbus: %s", got_err);
	g_assert_cmpint(rc, ==, 0);
	g_assert_cmpstr(got, ==, "(<'sysbus'>,)\n");

	/* Read-only: Set is not even delivered. */
	g_autofree char *set_out = NULL;
	g_autofree char *set_err = NULL;
	const char *set_argv[] = {"gdbus", "call", "--address", address, "--dest", RC_DBUS_NAME,
				  "--object-path", RC_DBUS_PATH, "--method",
				  "org.freedesktop.DBus.Properties.Set", RC_DBUS_NAME ".Node",
				  "NodeID", "<'x'>", NULL};
	rc = rc_test_run(set_argv, NULL, rc_test_scale(DBUS_DEADLINE_S), &set_out, &set_err);
	g_assert_cmpint(rc, !=, 0);
	g_assert_nonnull(strstr(set_err, "AccessDenied"));

	stop_node(node);
	kill(bus_pid, SIGTERM);
	g_assert_true(rc_test_wait_until(bus_has_exited, &bus_exit, "dbus-daemon exit",
					 DBUS_DEADLINE_S));
	rc_test_rmtree(dir);
}

/* ------------------------------------------------------------------ private bus */

static gboolean
node_id_is(gpointer data)
{
	RcDbusNode *proxy = data;
	return g_strcmp0(rc_dbus_node_get_node_id(proxy), "dbus-a") == 0;
}

typedef struct {
	RcDbusNode *proxy;
	const char *peer;
	gboolean present;
} ConnCheck;

static gboolean
connection_is(gpointer data)
{
	ConnCheck *c = data;
	GVariant *conns = rc_dbus_node_get_connections(c->proxy);
	GVariant *routes = rc_dbus_node_get_routes(c->proxy);
	gboolean found = FALSE;
	gboolean routed = FALSE;

	if (conns != NULL) {
		GVariantIter iter;
		const char *id;
		double cost;
		g_variant_iter_init(&iter, conns);
		while (g_variant_iter_next(&iter, "(&sd)", &id, &cost)) {
			if (strcmp(id, c->peer) == 0 && cost == 1.0)
				found = TRUE;
		}
	}
	if (routes != NULL) {
		const char *hop = NULL;
		routed = g_variant_lookup(routes, c->peer, "&s", &hop) &&
			 g_strcmp0(hop, c->peer) == 0;
	}
	return c->present ? (found && routed) : (!found && !routed);
}

static void
test_node_properties_follow_peers(void)
{
	g_autofree char *daemon = g_find_program_in_path("dbus-daemon");
	if (daemon == NULL) {
		g_test_skip("dbus-daemon is not installed (Debian package dbus)");
		return;
	}
	g_autoptr(GTestDBus) bus = g_test_dbus_new(G_TEST_DBUS_NONE);
	g_test_dbus_up(bus);

	g_autofree char *dir = rc_test_make_tmpdir("dbus");
	guint16 port = rc_test_free_port();
	g_autofree char *yaml_a = node_yaml(dir, "dbus-a", port, 0);
	g_autofree char *yaml_b = node_yaml(dir, "dbus-b", 0, port);

	/* Both nodes get the variable: the second finds the name taken and
	 * must still run (one debug line). */
	g_setenv(RC_DBUS_ENV, "session", TRUE);
	g_autoptr(RcTestNode) a = rc_test_node_start(dir, "dbus-a", yaml_a);

	g_autoptr(GError) error = NULL;
	RcDbusNode *proxy = rc_dbus_node_proxy_new_for_bus_sync(
	    G_BUS_TYPE_SESSION, G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START, RC_DBUS_NAME, RC_DBUS_PATH,
	    NULL, &error);
	g_assert_no_error(error);
	g_assert_true(rc_test_wait_until(node_id_is, proxy, "NodeID dbus-a on D-Bus",
					 DBUS_DEADLINE_S));
	g_assert_cmpstr(rc_dbus_node_get_version(proxy), ==, PACKAGE_VERSION_TEXT);
	const char *const *types = rc_dbus_node_get_work_types(proxy);
	g_assert_nonnull(types);
	g_assert_cmpstr(types[0], ==, "echo");
	g_assert_null(types[1]);

	g_autoptr(RcTestNode) b = rc_test_node_start(dir, "dbus-b", yaml_b);
	/* The proxy's cache changes only through PropertiesChanged. */
	ConnCheck check = {.proxy = proxy, .peer = "dbus-b", .present = TRUE};
	g_assert_true(rc_test_wait_until(connection_is, &check,
					 "dbus-b in Connections and Routes of dbus-a",
					 DBUS_DEADLINE_S));
	g_assert_true(rc_test_node_wait_log(b, "D-Bus: name io.github.receptorc.Receptor1 not owned",
					    DBUS_DEADLINE_S));
	g_assert_cmpstr(rc_dbus_node_get_node_id(proxy), ==, "dbus-a");

	stop_node(b);
	check.present = FALSE;
	g_assert_true(rc_test_wait_until(connection_is, &check,
					 "dbus-b gone from Connections and Routes of dbus-a",
					 DBUS_DEADLINE_S));
	stop_node(a);

	g_object_unref(proxy);
	g_test_dbus_down(bus);
	rc_test_rmtree(dir);
}

/* ------------------------------------------------------------------ in process */

static gboolean
is_exported(gpointer data)
{
	return rc_dbus_is_exported(data);
}

static gboolean
proxy_has_node_id(gpointer data)
{
	return rc_dbus_node_get_node_id(data) != NULL;
}

static void
on_proxy_made(GObject *source, GAsyncResult *result, gpointer data)
{
	GAsyncResult **out = data;
	*out = g_object_ref(result);
}

static gboolean
has_result(gpointer data)
{
	return *(GAsyncResult **)data != NULL;
}

static void
test_core_without_links_and_early_free(void)
{
	g_autofree char *daemon = g_find_program_in_path("dbus-daemon");
	if (daemon == NULL) {
		g_test_skip("dbus-daemon is not installed (Debian package dbus)");
		return;
	}
	g_autoptr(GTestDBus) bus = g_test_dbus_new(G_TEST_DBUS_NONE);
	g_test_dbus_up(bus);
	const char *address = g_test_dbus_get_bus_address(bus);

	/* Freed before the bus answered: the pending connect is cancelled and
	 * its callback touches nothing (ASan checks this under --setup sanitize). */
	RcCore *early = rc_core_new();
	early->node_id = g_strdup("early");
	g_assert_nonnull(rc_dbus_start_for(early, address));
	rc_core_free(early);

	RcCore *core = rc_core_new();
	core->node_id = g_strdup("lonely");
	RcDbus *dbus = rc_dbus_start_for(core, address);
	g_assert_nonnull(dbus);
	g_assert_true(rc_test_wait_until(is_exported, dbus, "the object exported", DBUS_DEADLINE_S));

	g_autoptr(GError) error = NULL;
	g_autoptr(GDBusConnection) client = g_dbus_connection_new_for_address_sync(
	    address,
	    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
		G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
	    NULL, NULL, &error);
	g_assert_no_error(error);
	/* Asynchronously: the object answers from this very main loop. */
	GAsyncResult *made = NULL;
	rc_dbus_node_proxy_new(client, G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START, RC_DBUS_NAME,
			       RC_DBUS_PATH, NULL, on_proxy_made, &made);
	g_assert_true(rc_test_wait_until(has_result, &made, "the proxy", DBUS_DEADLINE_S));
	g_autoptr(RcDbusNode) proxy = rc_dbus_node_proxy_new_finish(made, &error);
	g_clear_object(&made);
	g_assert_no_error(error);
	g_assert_true(rc_test_wait_until(proxy_has_node_id, proxy, "NodeID on D-Bus",
					 DBUS_DEADLINE_S));
	g_assert_cmpstr(rc_dbus_node_get_node_id(proxy), ==, "lonely");
	g_assert_cmpstr(rc_dbus_node_get_version(proxy), ==, PACKAGE_VERSION_TEXT);
	g_assert_cmpuint(g_variant_n_children(rc_dbus_node_get_connections(proxy)), ==, 0);
	g_assert_cmpuint(g_variant_n_children(rc_dbus_node_get_routes(proxy)), ==, 0);
	g_assert_cmpuint(g_variant_n_children(rc_dbus_node_get_advertisements(proxy)), ==, 0);
	g_assert_cmpuint(g_variant_n_children(rc_dbus_node_get_work_units(proxy)), ==, 0);
	const char *const *types = rc_dbus_node_get_work_types(proxy);
	g_assert_true(types == NULL || types[0] == NULL);

	g_clear_object(&proxy);
	g_dbus_connection_close_sync(client, NULL, NULL);
	g_clear_object(&client);
	rc_core_free(core);
	g_test_dbus_down(bus);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* Order matters: these change the environment before any bus exists. */
	g_test_add_func("/dbus/no-bus/unreachable-bus-is-one-debug-line-and-the-node-runs",
			test_unreachable_bus_is_one_debug_line);
	g_test_add_func("/dbus/no-bus/unknown-value-is-one-warning-and-the-node-runs",
			test_unknown_value_is_one_warning);
	g_test_add_func("/dbus/policy/root-owns-the-name-anyone-reads-nobody-sets",
			test_system_policy_lets_root_own_and_anyone_read);
	g_test_add_func("/dbus/node/properties-follow-peers-on-a-private-bus",
			test_node_properties_follow_peers);
	g_test_add_func("/dbus/core/node-without-links-and-a-core-freed-while-connecting",
			test_core_without_links_and_early_free);
	return g_test_run();
}
