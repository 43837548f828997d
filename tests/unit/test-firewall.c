/* test-firewall.c: firewall rules (config.md 11.3, wire.md 8). */
#include "config.h"

#include <glib.h>

#include "rc-firewall.h"
#include "receptor/receptor-plugin.h"

static RcFirewall *
fw_from_text(const char *text, GError **error)
{
	g_autoptr(GError) perr = NULL;
	g_autoptr(GVariant) v = g_variant_parse(G_VARIANT_TYPE("aa{sv}"), text, NULL, NULL, &perr);

	g_assert_no_error(perr);
	return rc_firewall_new_from_variant(v, error);
}

static RcFirewall *
fw_ok(const char *text)
{
	g_autoptr(GError) error = NULL;
	RcFirewall *fw = fw_from_text(text, &error);

	g_assert_no_error(error);
	g_assert_nonnull(fw);
	return fw;
}

static void
test_no_rules_accept(void)
{
	g_autoptr(RcFirewall) empty = fw_ok("@aa{sv} []");
	g_autoptr(GError) error = NULL;
	g_autoptr(RcFirewall) none = rc_firewall_new_from_variant(NULL, &error);

	g_assert_no_error(error);
	g_assert_cmpuint(rc_firewall_get_n_rules(empty), ==, 0);
	g_assert_cmpint(rc_firewall_evaluate(empty, "a", "b", "c", "d"), ==, RC_FIREWALL_ACCEPT);
	g_assert_cmpint(rc_firewall_evaluate(none, "a", "b", "c", "d"), ==, RC_FIREWALL_ACCEPT);
	g_assert_cmpint(rc_firewall_evaluate(NULL, "a", "b", "c", "d"), ==, RC_FIREWALL_ACCEPT);
}

/* The example of wire.md 8.2 (Go's TestFirewall), seen from node2. */
static void
test_first_match_decides(void)
{
	g_autoptr(RcFirewall) fw = fw_ok("[{'action': <'accept'>, 'fromnode': <'node2'>},"
					 " {'action': <'reject'>, 'tonode': <'node3'>},"
					 " {'action': <'reject'>, 'tonode': <'node1'>}]");

	g_assert_cmpuint(rc_firewall_get_n_rules(fw), ==, 3);
	/* node1 pings node2: no rule matches */
	g_assert_cmpint(rc_firewall_evaluate(fw, "node1", "Xy7Qa1Bz", "node2", "ping"), ==,
			RC_FIREWALL_ACCEPT);
	/* node2's reply to node1: rule 1 accepts before rule 3 */
	g_assert_cmpint(rc_firewall_evaluate(fw, "node2", "ping", "node1", "Xy7Qa1Bz"), ==,
			RC_FIREWALL_ACCEPT);
	/* node1 -> node3 in transit at node2: rejected */
	g_assert_cmpint(rc_firewall_evaluate(fw, "node1", "Xy7Qa1Bz", "node3", "ping"), ==,
			RC_FIREWALL_REJECT);
	/* node3 -> node1: rule 3 */
	g_assert_cmpint(rc_firewall_evaluate(fw, "node3", "a", "node1", "b"), ==,
			RC_FIREWALL_REJECT);
}

static void
test_all_conditions_must_hold(void)
{
	g_autoptr(RcFirewall) fw = fw_ok("[{'action': <'drop'>, 'fromnode': <'a'>, 'fromservice': <'s1'>,"
					 " 'tonode': <'b'>, 'toservice': <'s2'>}]");

	g_assert_cmpint(rc_firewall_evaluate(fw, "a", "s1", "b", "s2"), ==, RC_FIREWALL_DROP);
	g_assert_cmpint(rc_firewall_evaluate(fw, "a", "s1", "b", "s3"), ==, RC_FIREWALL_ACCEPT);
	g_assert_cmpint(rc_firewall_evaluate(fw, "a", "s9", "b", "s2"), ==, RC_FIREWALL_ACCEPT);
	g_assert_cmpint(rc_firewall_evaluate(fw, "A", "s1", "b", "s2"), ==, RC_FIREWALL_ACCEPT);
}

static void
test_keys_and_actions_case_insensitive(void)
{
	g_autoptr(RcFirewall) fw = fw_ok("[{'ACTION': <'Drop'>, 'FromNode': <'x'>},"
					 " {'Action': <'REJECT'>, 'TOSERVICE': <'control'>}]");

	g_assert_cmpint(rc_firewall_evaluate(fw, "x", "", "y", ""), ==, RC_FIREWALL_DROP);
	g_assert_cmpint(rc_firewall_evaluate(fw, "z", "", "y", "control"), ==, RC_FIREWALL_REJECT);
	/* values are case-sensitive */
	g_assert_cmpint(rc_firewall_evaluate(fw, "X", "", "y", "Control"), ==, RC_FIREWALL_ACCEPT);
}

static void
test_empty_pattern_and_no_conditions(void)
{
	g_autoptr(RcFirewall) fw1 = fw_ok("[{'action': <'drop'>, 'fromnode': <''>}]");
	g_autoptr(RcFirewall) fw2 = fw_ok("[{'action': <'reject'>}]");

	g_assert_cmpint(rc_firewall_evaluate(fw1, "any", "x", "thing", "y"), ==, RC_FIREWALL_DROP);
	g_assert_cmpint(rc_firewall_evaluate(fw2, "any", "x", "thing", "y"), ==, RC_FIREWALL_REJECT);
}

static void
test_regex_anchoring(void)
{
	/* /a|b/ is ^a|b$: "starts with a, or ends with b" (wire.md 8.1) */
	g_autoptr(RcFirewall) alt = fw_ok("[{'action': <'drop'>, 'tonode': <'/a|b/'>}]");
	g_autoptr(RcFirewall) ci = fw_ok("[{'action': <'reject'>, 'tonode': <'/(?i)lab-.*/'>}]");
	g_autoptr(RcFirewall) dollar = fw_ok("[{'action': <'drop'>, 'fromnode': <'/node[0-9]/'>}]");
	g_autoptr(RcFirewall) empty_re = fw_ok("[{'action': <'drop'>, 'fromservice': <'//'>}]");

	g_assert_cmpint(rc_firewall_evaluate(alt, "", "", "axx", ""), ==, RC_FIREWALL_DROP);
	g_assert_cmpint(rc_firewall_evaluate(alt, "", "", "xxb", ""), ==, RC_FIREWALL_DROP);
	g_assert_cmpint(rc_firewall_evaluate(alt, "", "", "xax", ""), ==, RC_FIREWALL_ACCEPT);
	g_assert_cmpint(rc_firewall_evaluate(ci, "", "", "LAB-7", ""), ==, RC_FIREWALL_REJECT);
	g_assert_cmpint(rc_firewall_evaluate(ci, "", "", "xlab-7", ""), ==, RC_FIREWALL_ACCEPT);
	g_assert_cmpint(rc_firewall_evaluate(dollar, "node1", "", "", ""), ==, RC_FIREWALL_DROP);
	g_assert_cmpint(rc_firewall_evaluate(dollar, "node12", "", "", ""), ==, RC_FIREWALL_ACCEPT);
	/* $ is end of text only, as in RE2: a trailing newline does not match */
	g_assert_cmpint(rc_firewall_evaluate(dollar, "node1\n", "", "", ""), ==, RC_FIREWALL_ACCEPT);
	/* invalid UTF-8 in a subject does not break matching */
	g_assert_cmpint(rc_firewall_evaluate(alt, "", "", "a\xff", ""), ==, RC_FIREWALL_DROP);
	/* // matches only the empty string */
	g_assert_cmpint(rc_firewall_evaluate(empty_re, "n", "", "m", ""), ==, RC_FIREWALL_DROP);
	g_assert_cmpint(rc_firewall_evaluate(empty_re, "n", "s", "m", ""), ==, RC_FIREWALL_ACCEPT);
}

static void
test_error_texts(void)
{
	static const struct {
		const char *rules;
		const char *message;
	} t[] = {
		{"[{'action': <'accept'>}, {'action': <int64 5>}]",
		 "error in rule 1: invalid firewall rule. action must be a string"},
		{"[{'action': <'accept'>, 'FromNode': <true>}]",
		 "error in rule 0: invalid firewall rule. FromNode must be a string"},
		{"[{'action': <'accept'>, 'fromhost': <'x'>}]",
		 "error in rule 0: invalid filewall rule. unknown key: fromhost"},
		{"[{'action': <'allow'>}]", "error in rule 0: unknown action: allow"},
		{"[{'action': <'accept'>}, {'action': <'drop'>}, {'tonode': <'x'>}]",
		 "error in rule 2: unknown action: "},
		/* deliberate differences (Go ignores or crashes) */
		{"[{'action': <'drop'>, 'tonode': <'/abc'>}]",
		 "error in rule 0: regular expression in tonode must end with \"/\": /abc"},
		{"[{'action': <'drop'>, 'fromnode': <'/'>}]",
		 "error in rule 0: regular expression in fromnode must end with \"/\": /"},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(t); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(RcFirewall) fw = fw_from_text(t[i].rules, &error);
		g_assert_null(fw);
		g_assert_error(error, RC_ERROR, RC_ERROR_CONFIG);
		g_assert_cmpstr(error->message, ==, t[i].message);
	}
}

static void
test_malformed_regex_refused(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(RcFirewall) fw =
		fw_from_text("[{'action': <'drop'>}, {'action': <'drop'>, 'toservice': <'/a(b/'>}]",
			     &error);

	g_assert_null(fw);
	g_assert_error(error, RC_ERROR, RC_ERROR_CONFIG);
	g_assert_true(g_str_has_prefix(error->message,
				       "error in rule 1: invalid regular expression in toservice: /a(b/: "));
}

static void
test_action_names(void)
{
	g_assert_cmpstr(rc_firewall_action_name(RC_FIREWALL_ACCEPT), ==, "accept");
	g_assert_cmpstr(rc_firewall_action_name(RC_FIREWALL_REJECT), ==, "reject");
	g_assert_cmpstr(rc_firewall_action_name(RC_FIREWALL_DROP), ==, "drop");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/netceptor/firewall/no-rules-accept-everything", test_no_rules_accept);
	g_test_add_func("/netceptor/firewall/first-matching-rule-decides", test_first_match_decides);
	g_test_add_func("/netceptor/firewall/all-conditions-must-hold", test_all_conditions_must_hold);
	g_test_add_func("/netceptor/firewall/keys-and-actions-case-insensitive",
			test_keys_and_actions_case_insensitive);
	g_test_add_func("/netceptor/firewall/empty-pattern-and-no-condition-match-all",
			test_empty_pattern_and_no_conditions);
	g_test_add_func("/netceptor/firewall/regex-anchored-by-plain-concatenation",
			test_regex_anchoring);
	g_test_add_func("/netceptor/firewall/parse-errors-use-go-texts", test_error_texts);
	g_test_add_func("/netceptor/firewall/malformed-regex-refused-at-start-up",
			test_malformed_regex_refused);
	g_test_add_func("/netceptor/firewall/action-names", test_action_names);

	return g_test_run();
}
