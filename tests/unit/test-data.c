/* test-data.c: the files of data/ (STYLE.md 2.1):
 * - every data/examples/<name>.yml parses (config.md 4, 5) against the entities
 *   of this build: core entities plus the plugins' manifests from
 *   RECEPTOR_PLUGIN_DIR (nothing is loaded or started);
 * - the D-Bus interface XML is the one compiled in (gdbus-codegen output);
 * - the generated bash completion knows the plugins' entities. */
#include <string.h>

#include <gio/gio.h>
#include <glib.h>

#include "rc-config.h"
#include "rc-core-entities.h"
#include "rc-dbus-generated.h"
#include "rc-dbus.h"
#include "rc-registry.h"

static char *
examples_dir(void)
{
	return g_test_build_filename(G_TEST_DIST, "..", "data", "examples", NULL);
}

static void
test_example_parses(gconstpointer data)
{
	const char *path = data;
	g_autoptr(RcRegistry) registry = rc_registry_new();
	g_autoptr(GError) error = NULL;
	const char *dirs = g_getenv("RECEPTOR_PLUGIN_DIR");

	if (dirs == NULL) {
		g_test_skip("RECEPTOR_PLUGIN_DIR is not set (run through meson test)");
		return;
	}
	rc_core_entities_register(registry);
	rc_registry_scan(registry, dirs);

	g_autoptr(RcConfig) config = rc_config_parse_file(registry, path, &error);
	g_assert_no_error(error);
	g_assert_nonnull(config);
	/* At least the node and one more entity. */
	g_assert_cmpuint(config->items->len, >=, 2);
	g_autofree char *dump = rc_config_dump(config);
	g_assert_nonnull(strstr(dump, "node "));
	g_assert_false(config->show_help);
}

static gint
cmp_strptr(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
test_examples_exist(void)
{
	static const char *const expected[] = {"line-a.yml", "line-b.yml", "line-c.yml",
					       "tls-node.yml", "work-node.yml", NULL};
	g_autofree char *dir = examples_dir();
	for (guint i = 0; expected[i] != NULL; i++) {
		g_autofree char *path = g_build_filename(dir, expected[i], NULL);
		g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
	}
}

static void
test_dbus_xml_is_the_compiled_interface(void)
{
	g_autofree char *path = g_test_build_filename(
	    G_TEST_DIST, "..", "data", "dbus", RC_DBUS_NAME ".Node.xml", NULL);
	g_autofree char *xml = NULL;
	g_autoptr(GError) error = NULL;

	g_file_get_contents(path, &xml, NULL, &error);
	g_assert_no_error(error);
	g_autoptr(GDBusNodeInfo) node = g_dbus_node_info_new_for_xml(xml, &error);
	g_assert_no_error(error);
	g_assert_nonnull(node->interfaces);
	g_assert_nonnull(node->interfaces[0]);
	g_assert_null(node->interfaces[1]);

	GDBusInterfaceInfo *file = node->interfaces[0];
	GDBusInterfaceInfo *built = rc_dbus_node_interface_info();
	g_assert_cmpstr(file->name, ==, RC_DBUS_NAME ".Node");
	g_assert_cmpstr(built->name, ==, file->name);
	/* Read-only status: no methods, no signals, every property readable only. */
	g_assert_true(file->methods == NULL || file->methods[0] == NULL);
	g_assert_true(file->signals == NULL || file->signals[0] == NULL);
	guint n = 0;
	for (; file->properties[n] != NULL; n++) {
		GDBusPropertyInfo *p = file->properties[n];
		GDBusPropertyInfo *q = g_dbus_interface_info_lookup_property(built, p->name);
		g_assert_nonnull(q);
		g_assert_cmpstr(q->signature, ==, p->signature);
		g_assert_cmpint(p->flags, ==, G_DBUS_PROPERTY_INFO_FLAGS_READABLE);
	}
	g_assert_cmpuint(n, >=, 4);
	g_assert_nonnull(g_dbus_interface_info_lookup_property(file, "NodeID"));
	g_assert_nonnull(g_dbus_interface_info_lookup_property(file, "Connections"));
	g_assert_nonnull(g_dbus_interface_info_lookup_property(file, "Routes"));
}

static void
test_bash_completion_knows_plugin_entities(void)
{
	const char *root = g_getenv("RC_BUILD_ROOT");
	if (root == NULL) {
		g_test_skip("RC_BUILD_ROOT is not set (run through meson test)");
		return;
	}
	g_autofree char *path = g_build_filename(root, "data", "receptor", NULL);
	g_autofree char *text = NULL;
	g_autoptr(GError) error = NULL;
	g_file_get_contents(path, &text, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(strstr(text, "_receptor()"));
	g_assert_nonnull(strstr(text, " --node "));
	/* From plugins (backend-tcp, work-command), not only the core. */
	g_assert_nonnull(strstr(text, " --tcp-peer "));
	g_assert_nonnull(strstr(text, " --work-command"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/data/dbus/interface-xml-is-the-compiled-read-only-interface",
			test_dbus_xml_is_the_compiled_interface);
	g_test_add_func("/data/bash-completion/knows-the-entities-of-the-plugins",
			test_bash_completion_knows_plugin_entities);
	g_test_add_func("/data/examples/the-three-node-line-tls-and-work-examples-exist",
			test_examples_exist);

	/* One test per file, so a new example is checked without editing this. */
	g_autofree char *dir = examples_dir();
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;
	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		if (g_str_has_suffix(name, ".yml"))
			g_ptr_array_add(names, g_strdup(name));
	}
	g_ptr_array_sort(names, cmp_strptr);
	g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < names->len; i++) {
		const char *n = names->pdata[i];
		char *path = g_build_filename(dir, n, NULL);
		g_autofree char *test = g_strdup_printf("/data/examples/%s/parses-with-this-build", n);
		g_ptr_array_add(paths, path);
		g_test_add_data_func(test, path, test_example_parses);
	}
	return g_test_run();
}
