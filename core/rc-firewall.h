/* rc-firewall.h: Netceptor firewall rules (config.md 11.3, wire.md 8).
 *
 * Pure. Built once from the node entity's `firewallrules` parameter (an
 * `aa{sv}` GVariant, RC_PARAM_MAP_LIST) and evaluated for every data message
 * the node handles (wire.md 7.2 step 1). Regular expressions are GRegex
 * (PCRE2), compiled as "^" + re + "$" with G_REGEX_DOLLAR_ENDONLY; see
 * docs/differences.md ("Netceptor") for where that differs from Go's RE2 and
 * for malformed patterns, which we refuse at start-up (Go silently ignores them).
 */
#pragma once

#include <glib.h>

typedef struct _RcFirewall RcFirewall;

typedef enum {
	RC_FIREWALL_ACCEPT = 0,
	RC_FIREWALL_REJECT = 1, /* discard and send unreachable "blocked by firewall" */
	RC_FIREWALL_DROP = 2    /* discard silently */
} RcFirewallAction;

/* Parse `rules` (nullable; type aa{sv}, configuration order). Keys are matched
 * case-insensitively; values must be strings. Errors (RC_ERROR_CONFIG), exact
 * Go texts with the 0-based rule index (config.md 11.3):
 *   error in rule <i>: invalid firewall rule. <key> must be a string
 *   error in rule <i>: invalid filewall rule. unknown key: <key>
 *   error in rule <i>: unknown action: <action>
 * and, deliberate differences (docs/differences.md):
 *   error in rule <i>: invalid regular expression in <key>: <pattern>: <reason>
 *   error in rule <i>: regular expression in <key> must end with "/": <pattern>
 * A NULL or empty `rules` gives a firewall that accepts everything.
 * (transfer full) */
RcFirewall *rc_firewall_new_from_variant(GVariant *rules, GError **error);
void rc_firewall_free(RcFirewall *fw);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcFirewall, rc_firewall_free)

/* Number of rules. */
guint rc_firewall_get_n_rules(const RcFirewall *fw);

/* First matching rule's action, ACCEPT when none matches or `fw` is NULL
 * (wire.md 8.2). Services are the decoded names (trailing NULs removed). */
RcFirewallAction rc_firewall_evaluate(const RcFirewall *fw, const char *from_node,
				      const char *from_service, const char *to_node,
				      const char *to_service);

/* "accept" / "reject" / "drop". (transfer none) */
const char *rc_firewall_action_name(RcFirewallAction action);
