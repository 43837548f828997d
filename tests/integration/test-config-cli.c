/* test-config-cli.c: the configuration front end through the real binary:
 * a command line and the same YAML give the same effective configuration,
 * errors are one line with exit code 1, YAML errors name file:line:column,
 * --version/--help exit 0, SIGTERM shuts down cleanly with exit 0. */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "rc-test.h"

static int
run(const char *const *args, char **out)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_ptr_array_add(argv, (gpointer)rc_test_receptor_path());
	for (guint i = 0; args[i]; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	return rc_test_run((const char *const *)argv->pdata, NULL, 30, out, NULL);
}

/* The "Config:" debug lines, without time stamps. */
static char *
config_lines(const char *log)
{
	g_autoptr(GString) s = g_string_new(NULL);
	g_auto(GStrv) lines = g_strsplit(log, "\n", -1);
	for (guint i = 0; lines[i]; i++) {
		const char *p = strstr(lines[i], " Config: ");
		if (g_str_has_prefix(lines[i], "DEBUG ") && p != NULL)
			g_string_append_printf(s, "%s\n", p + 1);
	}
	return g_string_free(g_steal_pointer(&s), FALSE);
}

static void
test_cli_and_yaml_are_equivalent(void)
{
	g_autofree char *tmp = rc_test_make_tmpdir("rc-cfg");
	const char *cli[] = {"--node", "id=a", "--log-level", "debug", NULL};
	g_autofree char *out1 = NULL;
	g_assert_cmpint(run(cli, &out1), ==, 1); /* nothing to do: no backend */

	g_autofree char *yml = g_build_filename(tmp, "a.yml", NULL);
	g_assert_true(g_file_set_contents(yml, "---\n- node:\n    id: a\n- log-level: debug\n", -1,
					  NULL));
	const char *file[] = {"-c", yml, NULL};
	g_autofree char *out2 = NULL;
	g_assert_cmpint(run(file, &out2), ==, 1);

	g_autofree char *c1 = config_lines(out1);
	g_autofree char *c2 = config_lines(out2);
	g_assert_nonnull(strstr(c1, "Config: node "));
	g_assert_nonnull(strstr(c1, "Config: log-level "));
	g_assert_cmpstr(c1, ==, c2);
	/* Both end the same way (config.md 2, step 10). */
	g_assert_nonnull(strstr(out1, "WARNING "));
	g_assert_nonnull(strstr(out1, " Nothing to do - no backends are running.\n"));
	g_assert_nonnull(strstr(out2, " Nothing to do - no backends are running.\n"));
	rc_test_rmtree(tmp);
}

typedef struct {
	const char *name;
	const char *args[8];
	const char *yaml; /* nullable: written to a file passed with -c */
	const char *expect; /* exact stdout; "%s" is replaced by the YAML path */
	int code;
} Case;

static const Case cases[] = {
    {"unknown-entity", {"--node", "id=a", "--tcp-listner", "27199"}, NULL,
     "Error: command error: unknown config type tcp-listner\n", 1},
    {"unknown-parameter", {"--node", "id=a", "--local-only", "colour=red"}, NULL,
     "Error: config error: unknown field name colour\n", 1},
    {"missing-required", {"--node", "id=a", "--tcp-peer", "redial=false"}, NULL,
     "Error: error in --tcp-peer: required parameter missing: address\n", 1},
    {"wrong-type-bool", {"--node", "id=a", "--local-only", "local=maybe"}, NULL,
     "Error: error setting config value for field local: could not parse maybe as boolean\n", 1},
    {"parameter-before-entity", {"id=a"}, NULL, "Error: parameter specified before command\n", 1},
    {"duplicate-singleton", {"--node", "id=a", "--node", "id=b"}, NULL,
     "Error: directive \"node\" is only allowed once\n", 1},
    {"exclusive-with-others", {"--version", "--node", "id=a"}, NULL,
     "Error: cannot specify any other options with version\n", 1},
    {"bad-log-level", {"--node", "id=a", "--log-level", "verbose", "--local-only"}, NULL,
     "Error: verbose is not a valid log level name\n", 1},
    {"reserved-node-id", {"--node", "localhost", "--local-only"}, NULL,
     "Error: node ID \"localhost\" is reserved\n", 1},
    {"version", {"--version"}, NULL, PACKAGE_VERSION_TEXT "\n", 0},
    {"yaml-unknown-parameter", {"-c", "@YML@"}, "- node:\n    id: a\n- local-only:\n    colour: red\n",
     "Error: error loading config file: %s:4:5: field colour not defined for command local-only: "
     "unknown field name colour\n",
     1},
    {"yaml-syntax-error", {"-c", "@YML@"}, "- node:\n    id: a\n- local-only:\n\tlocal: true\n",
     "Error: error loading config file: %s:4:1: yaml: line 4: found character that cannot start "
     "any token\n",
     1},
};

static void
test_error_case(gconstpointer data)
{
	const Case *c = data;
	g_autofree char *tmp = rc_test_make_tmpdir("rc-cfg");
	g_autofree char *yml = g_build_filename(tmp, "c.yml", NULL);
	const char *args[9] = {0};
	for (guint i = 0; i < 8 && c->args[i]; i++)
		args[i] = g_str_equal(c->args[i], "@YML@") ? yml : c->args[i];
	if (c->yaml)
		g_assert_true(g_file_set_contents(yml, c->yaml, -1, NULL));
	g_autofree char *out = NULL;
	int code = run(args, &out);
	g_autoptr(GString) expect = g_string_new(c->expect);
	g_string_replace(expect, "%s", yml, 0);
	g_assert_cmpstr(out, ==, expect->str);
	g_assert_cmpint(code, ==, c->code);
	rc_test_rmtree(tmp);
}

static void
test_sigterm_exits_cleanly(void)
{
	g_autofree char *tmp = rc_test_make_tmpdir("rc-cfg");
	const char *args[] = {"--node", "id=sig", "--local-only", NULL};
	g_autoptr(RcTestNode) node = rc_test_node_start_argv(tmp, "sig", args);
	g_assert_true(rc_test_node_wait_log(node, "Initialization complete", 20));
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
	rc_test_rmtree(tmp);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/config/cli/command-line-and-yaml-give-the-same-effective-configuration",
			test_cli_and_yaml_are_equivalent);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *path = g_strdup_printf("/config/cli/%s", cases[i].name);
		g_test_add_data_func(path, &cases[i], test_error_case);
	}
	g_test_add_func("/config/cli/sigterm-exits-zero", test_sigterm_exits_cleanly);
	return g_test_run();
}
