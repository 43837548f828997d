/* rc-firewall.c: Netceptor firewall rules (config.md 11.3, wire.md 8). Pure. */
#include "config.h"

#include "rc-firewall.h"

#include <string.h>

#include "rc-limits.h"
#include "receptor/receptor-plugin.h"

/* Fields in Go's BuildComps order. */
enum { F_FROM_NODE, F_TO_NODE, F_FROM_SERVICE, F_TO_SERVICE, F_COUNT };
static const char *const field_names[F_COUNT] = {"fromnode", "tonode", "fromservice",
						 "toservice"};

typedef struct {
	guint32 action;        /* RcFirewallAction */
	char *exact[F_COUNT];  /* exact-match value, or NULL */
	GRegex *re[F_COUNT];   /* compiled "^" + re + "$", or NULL */
} Rule;

struct _RcFirewall {
	GPtrArray *rules; /* Rule*, configuration order */
};

static void
rule_free(gpointer p)
{
	Rule *r = p;

	if (r == NULL)
		return;
	for (int i = 0; i < F_COUNT; i++) {
		g_free(r->exact[i]);
		g_clear_pointer(&r->re[i], g_regex_unref);
	}
	g_free(r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Rule, rule_free)

void
rc_firewall_free(RcFirewall *fw)
{
	if (fw == NULL)
		return;
	g_clear_pointer(&fw->rules, g_ptr_array_unref);
	g_free(fw);
}

/* One condition (wire.md 8.1): "" none, "/re/" regular expression, else exact. */
static gboolean
rule_set_pattern(Rule *r, int field, const char *pattern, GError **error)
{
	gsize len = strlen(pattern);
	g_autofree char *anchored = NULL;
	g_autoptr(GError) local = NULL;

	if (len == 0)
		return TRUE;
	if (pattern[0] != '/') {
		r->exact[field] = g_strdup(pattern);
		return TRUE;
	}
	/* Go silently drops a pattern without its closing "/" (and crashes on "/"
	 * alone); we refuse it (docs/differences.md, config.md Q9). */
	if (len < 2 || pattern[len - 1] != '/') {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
			    "regular expression in %s must end with \"/\": %s", field_names[field],
			    pattern);
		return FALSE;
	}
	/* plain concatenation, no grouping: /a|b/ is ^a|b$ (wire.md 8.1); $ is end of
	 * text only, as in RE2 */
	anchored = g_strdup_printf("^%.*s$", (int)(len - 2), pattern + 1);
	r->re[field] = g_regex_new(anchored, G_REGEX_DOLLAR_ENDONLY, 0, &local);
	if (r->re[field] == NULL) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
			    "invalid regular expression in %s: %s: %s", field_names[field], pattern,
			    local->message);
		return FALSE;
	}
	return TRUE;
}

static gboolean
action_from_name(const char *name, guint32 *out)
{
	if (g_ascii_strcasecmp(name, "accept") == 0)
		*out = RC_FIREWALL_ACCEPT;
	else if (g_ascii_strcasecmp(name, "reject") == 0)
		*out = RC_FIREWALL_REJECT;
	else if (g_ascii_strcasecmp(name, "drop") == 0)
		*out = RC_FIREWALL_DROP;
	else
		return FALSE;
	return TRUE;
}

/* Parse one a{sv} rule (Go's ParseFirewallRule). */
static Rule *
rule_parse(GVariant *dict, GError **error)
{
	g_autoptr(Rule) r = g_new0(Rule, 1);
	g_autofree char *action = g_strdup("");
	const char *value_by_field[F_COUNT] = {NULL};
	/* keeps the values that value_by_field points into */
	g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func((GDestroyNotify)g_variant_unref);
	GVariantIter it;
	const char *key;
	GVariant *value;

	if (!g_variant_is_of_type(dict, G_VARIANT_TYPE("a{sv}"))) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
				    "invalid firewall rule. see documentation for syntax");
		return NULL;
	}
	g_variant_iter_init(&it, dict);
	while (g_variant_iter_next(&it, "{&sv}", &key, &value)) {
		g_autoptr(GVariant) v = value;
		int field = -1;

		if (!g_variant_is_of_type(v, G_VARIANT_TYPE_STRING)) {
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
				    "invalid firewall rule. %s must be a string", key);
			return NULL;
		}
		if (g_ascii_strcasecmp(key, "action") == 0) {
			g_free(action);
			action = g_variant_dup_string(v, NULL);
			continue;
		}
		for (int i = 0; i < F_COUNT; i++)
			if (g_ascii_strcasecmp(key, field_names[i]) == 0)
				field = i;
		if (field < 0) {
			/* "filewall" (sic) is Go's text (config.md 11.3) */
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
				    "invalid filewall rule. unknown key: %s", key);
			return NULL;
		}
		/* several spellings of one key: the last one wins */
		value_by_field[field] = g_variant_get_string(v, NULL);
		g_ptr_array_add(keep, g_steal_pointer(&v));
	}
	for (int i = 0; i < F_COUNT; i++) {
		if (value_by_field[i] != NULL && !rule_set_pattern(r, i, value_by_field[i], error))
			return NULL;
	}
	if (!action_from_name(action, &r->action)) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "unknown action: %s", action);
		return NULL;
	}
	return g_steal_pointer(&r);
}

RcFirewall *
rc_firewall_new_from_variant(GVariant *rules, GError **error)
{
	g_autoptr(RcFirewall) fw = g_new0(RcFirewall, 1);
	gsize n;

	fw->rules = g_ptr_array_new_with_free_func(rule_free);
	if (rules == NULL)
		return g_steal_pointer(&fw);
	if (!g_variant_is_of_type(rules, G_VARIANT_TYPE("aa{sv}"))) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
				    "invalid firewall rule. see documentation for syntax");
		return NULL;
	}
	n = g_variant_n_children(rules);
	if (n > RC_FIREWALL_MAX_RULES) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
			    "too many firewall rules (%" G_GSIZE_FORMAT ", at most %d)", n,
			    RC_FIREWALL_MAX_RULES);
		return NULL;
	}
	for (gsize i = 0; i < n; i++) {
		g_autoptr(GVariant) dict = g_variant_get_child_value(rules, i);
		Rule *r = rule_parse(dict, error);
		if (r == NULL) {
			g_prefix_error(error, "error in rule %" G_GSIZE_FORMAT ": ", i);
			return NULL;
		}
		g_ptr_array_add(fw->rules, r);
	}
	return g_steal_pointer(&fw);
}

guint
rc_firewall_get_n_rules(const RcFirewall *fw)
{
	return fw != NULL ? fw->rules->len : 0;
}

static gboolean
field_matches(const Rule *r, int field, const char *subject)
{
	if (subject == NULL)
		subject = "";
	if (r->exact[field] != NULL)
		return strcmp(r->exact[field], subject) == 0;
	if (r->re[field] != NULL) {
		/* GRegex works on UTF-8; Go's regexp reads each invalid byte as U+FFFD */
		if (!g_utf8_validate(subject, -1, NULL)) {
			g_autofree char *valid = g_utf8_make_valid(subject, -1);
			return g_regex_match(r->re[field], valid, 0, NULL);
		}
		return g_regex_match(r->re[field], subject, 0, NULL);
	}
	return TRUE; /* no constraint */
}

RcFirewallAction
rc_firewall_evaluate(const RcFirewall *fw, const char *from_node, const char *from_service,
		     const char *to_node, const char *to_service)
{
	const char *subject[F_COUNT];

	if (fw == NULL)
		return RC_FIREWALL_ACCEPT;
	subject[F_FROM_NODE] = from_node;
	subject[F_TO_NODE] = to_node;
	subject[F_FROM_SERVICE] = from_service;
	subject[F_TO_SERVICE] = to_service;
	/* wire.md 8.2: first matching rule decides; no match accepts */
	for (guint i = 0; i < fw->rules->len; i++) {
		const Rule *r = g_ptr_array_index(fw->rules, i);
		gboolean match = TRUE;

		for (int f = 0; f < F_COUNT && match; f++)
			match = field_matches(r, f, subject[f]);
		if (match)
			return r->action;
	}
	return RC_FIREWALL_ACCEPT;
}

const char *
rc_firewall_action_name(RcFirewallAction action)
{
	switch (action) {
	case RC_FIREWALL_ACCEPT:
		return "accept";
	case RC_FIREWALL_REJECT:
		return "reject";
	case RC_FIREWALL_DROP:
		return "drop";
	default:
		return "unknown";
	}
}
