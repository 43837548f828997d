/* test-examples.c: every data/examples/<name>.yml parses (config.md 4, 5) against
 * the entities of this build: core entities plus the plugins' manifests from
 * RECEPTOR_PLUGIN_DIR.  Nothing is loaded or started. */
#include <string.h>

#include <glib.h>

#include "rc-config.h"
#include "rc-core-entities.h"
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

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/examples/the-three-node-line-tls-and-work-examples-exist",
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
		g_autofree char *test = g_strdup_printf("/examples/%s/parses-with-this-build", n);
		g_ptr_array_add(paths, path);
		g_test_add_data_func(test, path, test_example_parses);
	}
	return g_test_run();
}
