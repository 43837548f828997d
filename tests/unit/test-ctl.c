/* test-ctl.c: receptorctl's pure parts: Python text forms (control.md 5.6) and
 * Click-like argument parsing with its error texts (control.md 5.3). */
#include "config.h"

#include <string.h>

#include "rc-ctl-cli.h"
#include "rc-ctl-pyfmt.h"

static JsonNode *
parse(const char *text)
{
	g_autoptr(JsonParser) p = json_parser_new();
	g_assert_true(json_parser_load_from_data(p, text, -1, NULL));
	return json_node_copy(json_parser_get_root(p));
}

static void
test_float_repr_matches_python(void)
{
	const struct {
		double v;
		const char *text;
	} cases[] = { { 1.0, "1.0" },	    { 1.5, "1.5" },	  { 0.1, "0.1" },
		      { 1e-7, "1e-07" },    { 1e16, "1e+16" },	  { 123456789.0, "123456789.0" },
		      { 0.0001, "0.0001" }, { 0.00001, "1e-05" }, { -2.5, "-2.5" },
		      { 1.5e300, "1.5e+300" } };
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GString) s = g_string_new(NULL);
		rc_ctl_py_float_repr(s, cases[i].v);
		g_assert_cmpstr(s->str, ==, cases[i].text);
	}
}

static void
test_json_dumps_indent4_sorted(void)
{
	g_autoptr(JsonNode) n = parse("{\"b\":[1,2.0,{}],\"a\":{\"y\":null,\"x\":\"\\u00b5<\"},\"c\":[]}");
	g_autoptr(GString) s = g_string_new(NULL);

	rc_ctl_py_json_dumps(s, n);
	g_assert_cmpstr(s->str, ==,
			"{\n    \"a\": {\n        \"x\": \"\\u00b5<\",\n        \"y\": null\n    },\n"
			"    \"b\": [\n        1,\n        2.0,\n        {}\n    ],\n    \"c\": []\n}");
}

static void
test_repr_of_tags_and_strings(void)
{
	g_autoptr(JsonNode) n = parse("{\"type\":\"Control Service\",\"q\":\"it's\",\"z\":true}");
	g_autoptr(GString) s = g_string_new(NULL);

	rc_ctl_py_repr(s, n);
	g_assert_cmpstr(s->str, ==, "{'type': 'Control Service', 'q': \"it's\", 'z': True}");
}

static void
test_pad_counts_code_points(void)
{
	g_autoptr(GString) s = g_string_new(NULL);
	rc_ctl_py_pad(s, "1\302\265s", 5);
	g_assert_cmpstr(s->str, ==, "1\302\265s  ");
}

static const RcCtlOpt ping_opts[] = {
	{ "--count", NULL, "count", RC_CTL_OPT_INT, FALSE, FALSE, NULL },
	{ "--json", "-j", "json", RC_CTL_OPT_FLAG, FALSE, FALSE, NULL },
	{ NULL },
};
static const RcCtlArg ping_args[] = { { "node", 1, TRUE }, { NULL } };
static const RcCtlCommand ping_cmd = { ping_opts, ping_args, FALSE, FALSE };

static char *
parse_error(int argc, const char *const *argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(RcCtlParsed) p = rc_ctl_parse(&ping_cmd, argc, (char **)argv, &error);
	g_assert_null(p);
	return g_strdup(error->message);
}

static void
test_click_error_texts(void)
{
	const char *a1[] = { "--bogus" };
	const char *a2[] = { "--count" };
	const char *a3[] = { "n", "--count", "x" };
	const char *a4[] = { "--count", "1" };
	const char *a5[] = { "a", "b", "c" };
	const char *a6[] = { "a", "--json=1" };
	const char *a7[] = { "a", "-x" };
	g_autofree char *e1 = parse_error(1, a1);
	g_autofree char *e2 = parse_error(1, a2);
	g_autofree char *e3 = parse_error(3, a3);
	g_autofree char *e4 = parse_error(2, a4);
	g_autofree char *e5 = parse_error(3, a5);
	g_autofree char *e6 = parse_error(2, a6);
	g_autofree char *e7 = parse_error(2, a7);

	g_assert_cmpstr(e1, ==, "No such option: --bogus");
	g_assert_cmpstr(e2, ==, "Option '--count' requires an argument.");
	g_assert_cmpstr(e3, ==, "'x' is not a valid integer.");
	g_assert_cmpstr(e4, ==, "Missing parameter: node");
	g_assert_cmpstr(e5, ==, "Got unexpected extra arguments (b c)");
	g_assert_cmpstr(e6, ==, "Option '--json' does not take a value.");
	g_assert_cmpstr(e7, ==, "No such option: -x");
}

static void
test_click_values_and_help(void)
{
	const char *argv[] = { "-j", "--count=3", "node9", "--help" };
	g_autoptr(GError) error = NULL;
	g_autoptr(RcCtlParsed) p = rc_ctl_parse(&ping_cmd, 4, (char **)argv, &error);
	gboolean b = FALSE;

	g_assert_no_error(error);
	g_assert_true(p->help);
	g_assert_true(rc_ctl_flag(p, "json"));
	g_assert_cmpstr(rc_ctl_get(p, "count"), ==, "3");
	g_assert_cmpstr(rc_ctl_get(p, "node"), ==, "node9");
	g_assert_true(rc_ctl_parse_bool(" YES ", &b, NULL));
	g_assert_true(b);
	g_assert_false(rc_ctl_parse_bool("maybe", &b, &error));
	g_assert_cmpstr(error->message, ==,
			"'maybe' is not a valid boolean. Recognized values: , 0, 1, f, false, n, no, off, on, t, true, y, yes");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ctl/pyfmt/float-repr-matches-python", test_float_repr_matches_python);
	g_test_add_func("/ctl/pyfmt/json-dumps-indent-4-sorted-ascii", test_json_dumps_indent4_sorted);
	g_test_add_func("/ctl/pyfmt/repr-of-tags-and-strings", test_repr_of_tags_and_strings);
	g_test_add_func("/ctl/pyfmt/pad-counts-code-points", test_pad_counts_code_points);
	g_test_add_func("/ctl/cli/click-error-texts", test_click_error_texts);
	g_test_add_func("/ctl/cli/values-flags-and-eager-help", test_click_values_and_help);
	return g_test_run();
}
