/* test-dbus.c: the optional D-Bus status object (core/rc-dbus.c) of a real
 * `receptor`, on a private bus from GTestDBus (STYLE.md 5), never the
 * developer's session bus.
 *
 * The environment variable RECEPTOR_DBUS is set before each daemon is spawned.
 * Tests that change it run before the one that connects this process to a
 * bus, so no g_setenv races GDBus's worker thread. */
#include <string.h>

#include <gio/gio.h>
#include <glib.h>

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

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
	/* Order matters: these change the environment before any bus exists. */
	g_test_add_func("/dbus/no-bus/unreachable-bus-is-one-debug-line-and-the-node-runs",
			test_unreachable_bus_is_one_debug_line);
	g_test_add_func("/dbus/no-bus/unknown-value-is-one-warning-and-the-node-runs",
			test_unknown_value_is_one_warning);
	g_test_add_func("/dbus/node/properties-follow-peers-on-a-private-bus",
			test_node_properties_follow_peers);
	return g_test_run();
}
