/* test-control.c: the control protocol's pure parts (control.md 2.2-2.3,
 * 2.9-2.10): command lines, tokens, Go-compatible JSON, floats, durations. */
#include "config.h"

#include <string.h>

#include "rc-control-parse.h"
#include "rc-limits.h"

static RcControlLine *
parse(const char *text)
{
	return rc_control_line_parse((const guint8 *)text, strlen(text));
}

static void
test_empty_lines_give_no_command(void)
{
	g_autoptr(RcControlLine) a = parse("");
	g_autoptr(RcControlLine) b = parse("\r");
	g_autoptr(RcControlLine) c = parse("\r\r\r");

	g_assert_cmpint(a->kind, ==, RC_CONTROL_LINE_EMPTY);
	g_assert_cmpint(b->kind, ==, RC_CONTROL_LINE_EMPTY);
	g_assert_cmpint(c->kind, ==, RC_CONTROL_LINE_EMPTY);
	g_assert_null(a->command);
}

static void
test_text_splits_at_first_space_and_lowercases(void)
{
	g_autoptr(RcControlLine) a = parse("STATUS");
	g_autoptr(RcControlLine) b = parse("ping  node 3 ");
	g_autoptr(RcControlLine) c = parse("status ");
	g_autoptr(RcControlLine) d = parse(" status");
	g_autoptr(RcControlLine) e = parse("work\tlist");

	g_assert_cmpint(a->kind, ==, RC_CONTROL_LINE_TEXT);
	g_assert_cmpstr(a->command, ==, "status");
	g_assert_cmpstr(a->rest, ==, "");
	g_assert_cmpstr(b->command, ==, "ping");
	g_assert_cmpstr(b->rest, ==, " node 3 ");
	g_assert_cmpstr(c->command, ==, "status");
	g_assert_cmpstr(c->rest, ==, "");
	/* leading space: empty word, i.e. an unknown command */
	g_assert_cmpstr(d->command, ==, "");
	g_assert_cmpstr(d->rest, ==, "status");
	/* tabs are not separators */
	g_assert_cmpstr(e->command, ==, "work\tlist");
}

static void
test_cr_discarded_anywhere(void)
{
	g_autoptr(RcControlLine) a = parse("sta\rtus\r");
	g_autoptr(RcControlLine) b = parse("ping no\rde1\r");

	g_assert_cmpstr(a->command, ==, "status");
	g_assert_cmpstr(b->rest, ==, "node1");
}

static void
test_json_command_keeps_case_and_object(void)
{
	g_autoptr(RcControlLine) a =
		parse("{\"command\": \"STATUS\", \"requested_fields\": [\"Version\"]}");
	g_autoptr(RcControlLine) b = parse("{\"command\":\"ping\",\"target\":\"x\",\"target\":\"y\"}");

	g_assert_cmpint(a->kind, ==, RC_CONTROL_LINE_JSON);
	g_assert_cmpstr(a->command, ==, "STATUS");
	g_assert_true(json_object_has_member(a->json, "requested_fields"));
	/* duplicate keys: last wins (Go) */
	g_assert_cmpstr(json_object_get_string_member(b->json, "target"), ==, "y");
}

static void
test_json_errors_name_the_problem(void)
{
	g_autoptr(RcControlLine) a = parse("{\"command\": \"status\"");
	g_autoptr(RcControlLine) b = parse("{\"cmd\":\"status\"}");
	g_autoptr(RcControlLine) c = parse("{\"command\":5}");
	g_autoptr(RcControlLine) d = parse("{\"command\":\"status\"} x");

	g_assert_cmpint(a->kind, ==, RC_CONTROL_LINE_BAD_JSON);
	g_assert_nonnull(a->error);
	g_assert_cmpint(b->kind, ==, RC_CONTROL_LINE_BAD_JSON);
	g_assert_cmpstr(b->error, ==, "JSON did not contain a command");
	g_assert_cmpint(c->kind, ==, RC_CONTROL_LINE_BAD_JSON);
	g_assert_cmpstr(c->error, ==, "command must be a string");
	g_assert_cmpint(d->kind, ==, RC_CONTROL_LINE_BAD_JSON);
}

static void
test_json_nesting_is_capped(void)
{
	g_autoptr(GString) s = g_string_new("{\"command\":\"status\",\"x\":");
	g_autoptr(RcControlLine) line = NULL;

	for (int i = 0; i < RC_CONTROL_JSON_MAX_DEPTH + 10; i++)
		g_string_append_c(s, '[');
	line = parse(s->str);
	g_assert_cmpint(line->kind, ==, RC_CONTROL_LINE_BAD_JSON);
	g_assert_cmpstr(line->error, ==, "JSON nesting too deep");
}

static void
test_invalid_utf8_becomes_replacement(void)
{
	const guint8 raw[] = { 'p', 'i', 'n', 'g', ' ', 0xff, 'a' };
	g_autoptr(RcControlLine) line = rc_control_line_parse(raw, sizeof raw);

	g_assert_cmpstr(line->rest, ==, "\357\277\275a");
}

static void
test_split_on_every_single_space(void)
{
	g_auto(GStrv) a = rc_control_split_spaces("");
	g_auto(GStrv) b = rc_control_split_spaces("node2 control ");
	g_auto(GStrv) c = rc_control_split_spaces("a  b");

	g_assert_cmpint(g_strv_length(a), ==, 1);
	g_assert_cmpstr(a[0], ==, "");
	g_assert_cmpint(g_strv_length(b), ==, 3);
	g_assert_cmpstr(b[2], ==, "");
	g_assert_cmpint(g_strv_length(c), ==, 3);
	g_assert_cmpstr(c[1], ==, "");
}

static void
test_durations_match_go(void)
{
	const struct {
		gint64 ns;
		const char *text;
	} cases[] = {
		{ 0, "0s" },
		{ 999, "999ns" },
		{ 112044, "112.044\302\265s" },
		{ 1000000, "1ms" },
		{ 1026891, "1.026891ms" },
		{ 1397260, "1.39726ms" },
		{ 1500000000, "1.5s" },
		{ 60000000000, "1m0s" },
		{ 61500000000, "1m1.5s" },
		{ 3600000000000, "1h0m0s" },
		{ 10000123456, "10.000123456s" },
		{ -1500000000, "-1.5s" },
		{ 1000, "1\302\265s" },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *s = rc_control_format_duration(cases[i].ns);
		g_assert_cmpstr(s, ==, cases[i].text);
	}
}

static void
test_doubles_match_go(void)
{
	const struct {
		double v;
		const char *text;
	} cases[] = {
		{ 1.0, "1" },     { 1.5, "1.5" },   { 0.1, "0.1" },
		{ 100, "100" },   { -2.25, "-2.25" }, { 1e-7, "1e-7" },
		{ 1e21, "1e+21" }, { 1e20, "100000000000000000000" },
		{ 0.000001, "0.000001" }, { 123456.789, "123456.789" },
		{ 1.2345e-10, "1.2345e-10" }, { 0, "0" },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GString) s = g_string_new(NULL);
		rc_control_format_double(s, cases[i].v);
		g_assert_cmpstr(s->str, ==, cases[i].text);
	}
}

static void
test_json_strings_escaped_as_go(void)
{
	g_autoptr(GString) s = g_string_new(NULL);

	rc_control_json_append_string(s, "a\"b\\c\n\r\t<>&\001\x7f\302\265\342\200\250\xff");
	g_assert_cmpstr(s->str, ==,
			"\"a\\\"b\\\\c\\n\\r\\t\\u003c\\u003e\\u0026\\u0001\x7f\302\265\\u2028"
			"\\ufffd\"");
}

static void
test_json_compact_in_insertion_order(void)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *text = NULL;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "NodeID");
	json_builder_add_string_value(b, "node1");
	json_builder_set_member_name(b, "Cost");
	json_builder_add_double_value(b, 1.0);
	json_builder_set_member_name(b, "Tags");
	json_builder_add_null_value(b);
	json_builder_set_member_name(b, "List");
	json_builder_begin_array(b);
	json_builder_add_int_value(b, 2);
	json_builder_add_boolean_value(b, TRUE);
	json_builder_end_array(b);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	text = rc_control_json_to_string(root);
	g_assert_cmpstr(text, ==, "{\"NodeID\":\"node1\",\"Cost\":1,\"Tags\":null,\"List\":[2,true]}");
}

static void
test_variant_dictionaries_sorted(void)
{
	g_autoptr(GVariant) v = g_variant_ref_sink(g_variant_new_parsed(
		"{'b': <1.5>, 'a': <'x'>, 'c': <[<int64 1>, <true>]>, 'd': <@mv nothing>}"));
	g_autoptr(JsonNode) node = rc_control_variant_to_json(v);
	g_autofree char *text = rc_control_json_to_string(node);

	g_assert_cmpstr(text, ==, "{\"a\":\"x\",\"b\":1.5,\"c\":[1,true],\"d\":null}");
}

static void
test_json_to_variant_numbers_are_doubles(void)
{
	g_autoptr(RcControlLine) line = parse("{\"command\":\"x\",\"n\":5,\"l\":[\"a\"],\"z\":null}");
	g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), line->json);
	g_autoptr(GVariant) v = rc_control_json_to_variant(node);
	g_autofree char *text = g_variant_print(v, TRUE);

	g_assert_cmpstr(text, ==,
			"{'command': <'x'>, 'n': <5.0>, 'l': <[<'a'>]>, 'z': <@mv nothing>}");
}

static void
test_time_rfc3339_trimmed(void)
{
	g_autoptr(GTimeZone) tz = g_time_zone_new_offset(-4 * 3600);
	g_autoptr(GDateTime) t1 = g_date_time_new(tz, 2024, 10, 24, 16, 36, 52.5);
	g_autoptr(GDateTime) t2 = g_date_time_new_utc(2024, 10, 24, 16, 36, 52);
	g_autofree char *s1 = rc_control_format_time(t1);
	g_autofree char *s2 = rc_control_format_time(t2);

	g_assert_cmpstr(s1, ==, "2024-10-24T16:36:52.5-04:00");
	g_assert_cmpstr(s2, ==, "2024-10-24T16:36:52Z");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/control/parse/empty-lines-give-no-command", test_empty_lines_give_no_command);
	g_test_add_func("/control/parse/text-splits-at-first-space-and-lowercases",
			test_text_splits_at_first_space_and_lowercases);
	g_test_add_func("/control/parse/cr-discarded-anywhere", test_cr_discarded_anywhere);
	g_test_add_func("/control/parse/json-command-keeps-case", test_json_command_keeps_case_and_object);
	g_test_add_func("/control/parse/json-errors-name-the-problem", test_json_errors_name_the_problem);
	g_test_add_func("/control/parse/json-nesting-is-capped", test_json_nesting_is_capped);
	g_test_add_func("/control/parse/invalid-utf8-becomes-replacement",
			test_invalid_utf8_becomes_replacement);
	g_test_add_func("/control/parse/split-on-every-single-space", test_split_on_every_single_space);
	g_test_add_func("/control/format/durations-match-go", test_durations_match_go);
	g_test_add_func("/control/format/doubles-match-go", test_doubles_match_go);
	g_test_add_func("/control/format/json-strings-escaped-as-go", test_json_strings_escaped_as_go);
	g_test_add_func("/control/format/json-compact-in-insertion-order",
			test_json_compact_in_insertion_order);
	g_test_add_func("/control/format/variant-dictionaries-sorted", test_variant_dictionaries_sorted);
	g_test_add_func("/control/format/json-numbers-become-doubles-for-plugins",
			test_json_to_variant_numbers_are_doubles);
	g_test_add_func("/control/format/time-rfc3339-trimmed", test_time_rfc3339_trimmed);
	return g_test_run();
}
