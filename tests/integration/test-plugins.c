/* test-plugins.c: the plugin loader rules with real receptor processes:
 * only named plugins are opened, a missing optional plugin is named, a future
 * ABI and a stale manifest are refused, --help lists plugin entities, and an
 * out-of-tree plugin built with pkg-config alone runs. */
#include <string.h>

#include <gio/gio.h>
#include <glib.h>

#include "rc-test.h"

typedef struct {
	char *tmp;
	char *plugdir;
} Fixture;

static void
copy_file(const char *from, const char *to_dir)
{
	g_autofree char *base = g_path_get_basename(from);
	g_autofree char *to = g_build_filename(to_dir, base, NULL);
	g_autoptr(GFile) src = g_file_new_for_path(from);
	g_autoptr(GFile) dst = g_file_new_for_path(to);
	g_autoptr(GError) error = NULL;
	g_file_copy(src, dst, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &error);
	g_assert_no_error(error);
}

static void
add_test_plugin(Fixture *f, const char *name, gboolean with_manifest)
{
	g_autofree char *so = g_strdup_printf("tests/plugins/%s.so", name);
	g_autofree char *so_path = rc_test_build_path(so);
	copy_file(so_path, f->plugdir);
	if (with_manifest) {
		g_autofree char *mf = g_strdup_printf("tests/plugins/%s.plugin", name);
		g_autofree char *mf_path = rc_test_build_path(mf);
		copy_file(mf_path, f->plugdir);
	}
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	f->tmp = rc_test_make_tmpdir("rc-plugins");
	f->plugdir = g_build_filename(f->tmp, "plugins", NULL);
	g_mkdir_with_parents(f->plugdir, 0755);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	rc_test_rmtree(f->tmp);
	g_free(f->tmp);
	g_free(f->plugdir);
}

/* Run receptor with RECEPTOR_PLUGIN_DIR = the fixture's folder. */
static int
run_receptor(Fixture *f, const char *const *args, char **out)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_ptr_array_add(argv, (gpointer) "env");
	g_autofree char *env = g_strdup_printf("RECEPTOR_PLUGIN_DIR=%s", f->plugdir);
	g_ptr_array_add(argv, env);
	g_ptr_array_add(argv, (gpointer)rc_test_receptor_path());
	for (guint i = 0; args[i]; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	return rc_test_run((const char *const *)argv->pdata, NULL, 30, out, NULL);
}

static void
test_only_named_plugin_is_loaded(Fixture *f, gconstpointer data)
{
	add_test_plugin(f, "test-alpha", TRUE);
	add_test_plugin(f, "test-beta", TRUE);
	g_setenv("RECEPTOR_PLUGIN_DIR", f->plugdir, TRUE);
	const char *args[] = {"--node",       "id=plugtest", "--log-level", "debug", "--local-only",
			      "--test-alpha", "message=hi",  NULL};
	g_autoptr(RcTestNode) node = rc_test_node_start_argv(f->tmp, "alpha", args);
	g_assert_true(rc_test_node_wait_log(node, "Initialization complete", 20));
	g_assert_true(rc_test_node_log_contains(node, "test-alpha says hi"));
	g_assert_true(rc_test_node_log_contains(node, "Loaded plugin test-alpha from "));
	g_assert_false(rc_test_node_log_contains(node, "Loaded plugin test-beta"));
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
	g_unsetenv("RECEPTOR_PLUGIN_DIR");
}

static void
test_missing_plugin_is_named(Fixture *f, gconstpointer data)
{
	/* The folder holds only test plugins: backend-tcp is "not installed". */
	add_test_plugin(f, "test-alpha", TRUE);
	const char *args[] = {"--node", "id=a", "--tcp-listener", "port=1", NULL};
	g_autofree char *out = NULL;
	int rc = run_receptor(f, args, &out);
	g_assert_cmpint(rc, ==, 1);
	g_assert_cmpstr(out, ==,
			"Error: tcp-listener: provided by plugin backend-tcp, which is not installed "
			"(package receptor)\n");
}

static void
test_future_abi_is_refused(Fixture *f, gconstpointer data)
{
	add_test_plugin(f, "test-future", FALSE);
	/* --plugin-manifest refuses a future ABI, so write its manifest by hand. */
	g_autofree char *mf = g_build_filename(f->plugdir, "test-future.plugin", NULL);
	const char *text = "[Plugin]\nName=test-future\nModule=test-future.so\nAbiMajor=2\n"
			   "AbiMinor=0\nEntities=test-future;\n\n[Entity test-future]\nKind=3\n"
			   "Flags=0\nParams=\n";
	g_assert_true(g_file_set_contents(mf, text, -1, NULL));
	const char *args[] = {"--node", "id=a", "--local-only", "--test-future", NULL};
	g_autofree char *out = NULL;
	g_assert_cmpint(run_receptor(f, args, &out), ==, 1);
	g_assert_cmpstr(out, ==,
			"Error: test-future.so: built for plugin ABI 2.0, this receptor provides "
			"1.0\n");
}

static void
test_stale_manifest_is_refused(Fixture *f, gconstpointer data)
{
	add_test_plugin(f, "test-alpha", FALSE);
	g_autofree char *mf = g_build_filename(f->plugdir, "test-alpha.plugin", NULL);
	const char *text = "[Plugin]\nName=test-alpha\nModule=test-alpha.so\nAbiMajor=1\n"
			   "AbiMinor=0\nEntities=test-alpha;test-gamma;\n\n[Entity test-alpha]\n"
			   "Kind=3\nFlags=0\nParams=\n\n[Entity test-gamma]\nKind=3\nFlags=0\n"
			   "Params=\n";
	g_assert_true(g_file_set_contents(mf, text, -1, NULL));
	const char *args[] = {"--node", "id=a", "--local-only", "--test-alpha", NULL};
	g_autofree char *out = NULL;
	g_assert_cmpint(run_receptor(f, args, &out), ==, 1);
	g_assert_cmpstr(out, ==,
			"Error: test-alpha.so: stale manifest test-alpha.plugin (its entities "
			"differ from the module's), rebuild it\n");
}

static void
test_help_lists_plugin_entities(Fixture *f, gconstpointer data)
{
	add_test_plugin(f, "test-alpha", TRUE);
	add_test_plugin(f, "test-beta", TRUE);
	const char *args[] = {"--help", NULL};
	g_autofree char *out = NULL;
	g_assert_cmpint(run_receptor(f, args, &out), ==, 0);
	g_assert_nonnull(strstr(out, "   --test-alpha: A test-only entity that logs a message\n"
				     "      message=<string>: What to say when started (default: "
				     "hello)\n"
				     "      count=<int>: How many times to say it (default: 1)\n"));
	g_assert_nonnull(strstr(out, "   --test-beta: "));
}

static void
test_unimplemented_entity_is_named(Fixture *f, gconstpointer data)
{
	const char *args[] = {"--node", "id=a", "--ip-router", "networkname=x", NULL};
	g_autofree char *out = NULL;
	g_assert_cmpint(run_receptor(f, args, &out), ==, 1);
	g_assert_cmpstr(out, ==,
			"Error: ip-router: this Receptor entity is not implemented in receptor-c\n");
}

static void
test_out_of_tree_example_plugin(Fixture *f, gconstpointer data)
{
	const char *build_root = g_getenv("RC_BUILD_ROOT");
	const char *src_root = g_getenv("RC_SOURCE_ROOT");
	g_assert_nonnull(build_root);
	g_assert_nonnull(src_root);
	g_autofree char *destdir = g_build_filename(f->tmp, "dest", NULL);
	g_autofree char *out = NULL, *err = NULL;
	const char *install[] = {"meson", "install", "-C", build_root, "--no-rebuild", "--quiet",
				 "--destdir", destdir, NULL};
	int rc = rc_test_run(install, NULL, 300, &out, &err);
	if (rc != 0)
		g_test_message("meson install: %s %s", out, err);
	g_assert_cmpint(rc, ==, 0);

	/* The installed .pc is relocatable: point pkg-config at the destdir copy. */
	const char *prefix = "usr/local";
	g_autofree char *pcdir = NULL;
	g_autofree char *libroot = g_build_filename(destdir, prefix, "lib", NULL);
	g_autofree char *cand1 = g_build_filename(libroot, "x86_64-linux-gnu", "pkgconfig", NULL);
	g_autofree char *cand2 = g_build_filename(libroot, "pkgconfig", NULL);
	pcdir = g_strdup(g_file_test(cand1, G_FILE_TEST_IS_DIR) ? cand1 : cand2);
	g_autofree char *pcfile = g_build_filename(pcdir, "receptor-plugin.pc", NULL);
	g_assert_true(g_file_test(pcfile, G_FILE_TEST_EXISTS));

	g_autofree char *example = g_build_filename(src_root, "examples", "plugin-hello", NULL);
	g_autofree char *hbuild = g_build_filename(f->tmp, "hello-build", NULL);
	g_autofree char *pcenv = g_strdup_printf("PKG_CONFIG_PATH=%s", pcdir);
	const char *setup[] = {"env", pcenv, "meson", "setup", hbuild, example, NULL};
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	rc = rc_test_run(setup, NULL, 120, &out, &err);
	if (rc != 0)
		g_test_message("meson setup: %s %s", out, err);
	g_assert_cmpint(rc, ==, 0);
	const char *compile[] = {"ninja", "-C", hbuild, NULL};
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	rc = rc_test_run(compile, NULL, 120, &out, &err);
	if (rc != 0)
		g_test_message("ninja: %s %s", out, err);
	g_assert_cmpint(rc, ==, 0);
	g_autofree char *hello_mf = g_build_filename(hbuild, "hello.plugin", NULL);
	g_assert_true(g_file_test(hello_mf, G_FILE_TEST_EXISTS));

	/* Run the installed receptor with only the example's build folder. */
	g_autofree char *installed = g_build_filename(destdir, prefix, "bin", "receptor", NULL);
	g_autofree char *plugenv = g_strdup_printf("RECEPTOR_PLUGIN_DIR=%s", hbuild);
	const char *run[] = {"env",          plugenv,  installed,      "--node", "id=hellonode",
			     "--local-only", "--hello", "greeting=hi", "--version", NULL};
	/* --version is exclusive: proves the entity parses, then check it runs. */
	g_clear_pointer(&out, g_free);
	rc = rc_test_run(run, NULL, 30, &out, NULL);
	g_assert_cmpint(rc, ==, 1);
	g_assert_cmpstr(out, ==, "Error: cannot specify any other options with version\n");

	g_setenv("RECEPTOR_PLUGIN_DIR", hbuild, TRUE);
	g_setenv("RC_RECEPTOR", installed, TRUE);
	const char *args[] = {"--node", "id=hellonode", "--local-only", "--hello", "greeting=hi",
			      NULL};
	g_autoptr(RcTestNode) node = rc_test_node_start_argv(f->tmp, "hello", args);
	g_assert_true(rc_test_node_wait_log(node, "hello from node hellonode: hi", 20));
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/plugins/only-the-named-plugin-is-loaded", Fixture, NULL, fixture_setup,
		   test_only_named_plugin_is_loaded, fixture_teardown);
	g_test_add("/plugins/missing-optional-plugin-is-named", Fixture, NULL, fixture_setup,
		   test_missing_plugin_is_named, fixture_teardown);
	g_test_add("/plugins/future-abi-is-refused-with-both-versions", Fixture, NULL,
		   fixture_setup, test_future_abi_is_refused, fixture_teardown);
	g_test_add("/plugins/stale-manifest-is-refused", Fixture, NULL, fixture_setup,
		   test_stale_manifest_is_refused, fixture_teardown);
	g_test_add("/plugins/help-lists-plugin-entities", Fixture, NULL, fixture_setup,
		   test_help_lists_plugin_entities, fixture_teardown);
	g_test_add("/plugins/unimplemented-receptor-entity-is-named", Fixture, NULL,
		   fixture_setup, test_unimplemented_entity_is_named, fixture_teardown);
	g_test_add("/plugins/out-of-tree-example-builds-with-pkg-config-and-runs", Fixture, NULL,
		   fixture_setup, test_out_of_tree_example_plugin, fixture_teardown);
	return g_test_run();
}
