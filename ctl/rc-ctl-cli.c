/* rc-ctl-cli.c: Click-like argument parsing for receptorctl. */
#include "config.h"

#include "rc-ctl-cli.h"

#include <stdlib.h>
#include <string.h>

#include "rc-ctl-pyfmt.h"

void
rc_ctl_parsed_free(RcCtlParsed *parsed)
{
	if (parsed == NULL)
		return;
	g_hash_table_unref(parsed->values);
	g_hash_table_unref(parsed->flags);
	g_strfreev(parsed->rest);
	g_free(parsed);
}

char *
rc_ctl_repr(const char *text)
{
	GString *out = g_string_new(NULL);
	rc_ctl_py_str_repr(out, text);
	return g_string_free(out, FALSE);
}

gboolean
rc_ctl_parse_bool(const char *text, gboolean *out, GError **error)
{
	static const char *const yes[] = { "1", "true", "t", "yes", "y", "on", NULL };
	static const char *const no[] = { "0", "false", "f", "no", "n", "off", "", NULL };
	g_autofree char *norm = g_ascii_strdown(text, -1);

	g_strstrip(norm);
	if (g_strv_contains(yes, norm)) {
		*out = TRUE;
		return TRUE;
	}
	if (g_strv_contains(no, norm)) {
		*out = FALSE;
		return TRUE;
	}
	{
		g_autofree char *r = rc_ctl_repr(text);
		/* Click 8.3 wording */
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "%s is not a valid boolean. Recognized values: , 0, 1, f, false, n, no, off, on, t, true, y, yes",
			    r);
	}
	return FALSE;
}

static gboolean
check_int(const char *text, GError **error)
{
	g_autofree char *s = g_strdup(text);
	char *end = NULL;

	g_strstrip(s);
	if (s[0] != '\0') {
		g_ascii_strtoll(s, &end, 10);
		if (end != NULL && *end == '\0')
			return TRUE;
	}
	{
		g_autofree char *r = rc_ctl_repr(text);
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "%s is not a valid integer.", r);
	}
	return FALSE;
}

static gboolean
check_float(const char *text, GError **error)
{
	g_autofree char *s = g_strdup(text);
	char *end = NULL;

	g_strstrip(s);
	if (s[0] != '\0') {
		g_ascii_strtod(s, &end);
		if (end != NULL && *end == '\0')
			return TRUE;
	}
	{
		g_autofree char *r = rc_ctl_repr(text);
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "%s is not a valid float.", r);
	}
	return FALSE;
}

static const RcCtlOpt *
find_opt(const RcCtlCommand *cmd, const char *name)
{
	if (g_strcmp0(name, "--help") == 0) {
		static const RcCtlOpt help = { "--help", NULL, NULL, RC_CTL_OPT_FLAG, FALSE, FALSE,
					       NULL };
		return &help;
	}
	for (const RcCtlOpt *o = cmd->opts; o != NULL && o->longname != NULL; o++) {
		if (g_strcmp0(o->longname, name) == 0 || g_strcmp0(o->shortname, name) == 0)
			return o;
	}
	return NULL;
}

static void
add_value(RcCtlParsed *parsed, const char *dest, const char *value, GPtrArray *order)
{
	GPtrArray *list = g_hash_table_lookup(parsed->values, dest);
	if (list == NULL) {
		list = g_ptr_array_new_with_free_func(g_free);
		g_hash_table_insert(parsed->values, g_strdup(dest), list);
	}
	g_ptr_array_add(list, g_strdup(value));
	if (!g_ptr_array_find_with_equal_func(order, dest, g_str_equal, NULL))
		g_ptr_array_add(order, (gpointer)dest);
}

static gboolean
take_option(RcCtlParsed *parsed, const RcCtlOpt *opt, const char *name, const char *attached,
	    int *i, int argc, char **argv, GPtrArray *order, GError **error)
{
	if (opt->dest == NULL) { /* --help */
		if (attached != NULL) {
			g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "Option '%s' does not take a value.", name);
			return FALSE;
		}
		parsed->help = TRUE;
		return TRUE;
	}
	if (opt->type == RC_CTL_OPT_FLAG) {
		if (attached != NULL) {
			g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "Option '%s' does not take a value.", name);
			return FALSE;
		}
		g_hash_table_add(parsed->flags, g_strdup(opt->dest));
		if (!g_ptr_array_find_with_equal_func(order, opt->dest, g_str_equal, NULL))
			g_ptr_array_add(order, (gpointer)opt->dest);
		return TRUE;
	}
	if (attached == NULL) {
		if (*i + 1 >= argc) {
			g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "Option '%s' requires an argument.", name);
			return FALSE;
		}
		attached = argv[++(*i)];
	}
	add_value(parsed, opt->dest, attached, order);
	return TRUE;
}

RcCtlParsed *
rc_ctl_parse(const RcCtlCommand *cmd, int argc, char **argv, GError **error)
{
	g_autoptr(RcCtlParsed) parsed = g_new0(RcCtlParsed, 1);
	g_autoptr(GPtrArray) positional = g_ptr_array_new();
	g_autoptr(GPtrArray) order = g_ptr_array_new();
	g_autoptr(GPtrArray) rest = g_ptr_array_new_with_free_func(g_free);
	gboolean only_args = FALSE;
	gboolean help_in_args = FALSE;
	guint next_pos = 0;

	parsed->values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					       (GDestroyNotify)g_ptr_array_unref);
	parsed->flags = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (int i = 0; i < argc; i++) {
		if (g_strcmp0(argv[i], "--help") == 0)
			help_in_args = TRUE;
	}
	/* 1. parse */
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];

		if (only_args || arg[0] != '-' || arg[1] == '\0') {
			if (cmd->is_group) {
				for (int j = i; j < argc; j++)
					g_ptr_array_add(rest, g_strdup(argv[j]));
				break;
			}
			g_ptr_array_add(positional, (gpointer)arg);
			continue;
		}
		if (g_strcmp0(arg, "--") == 0) {
			only_args = TRUE;
			continue;
		}
		if (arg[1] == '-') {
			g_autofree char *name = NULL;
			const char *eq = strchr(arg, '=');
			const RcCtlOpt *opt;

			name = eq != NULL ? g_strndup(arg, eq - arg) : g_strdup(arg);
			opt = find_opt(cmd, name);
			if (opt == NULL) {
				g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
					    "No such option: %s", name);
				return NULL;
			}
			if (!take_option(parsed, opt, name, eq != NULL ? eq + 1 : NULL, &i, argc,
					 argv, order, error))
				return NULL;
			continue;
		}
		/* short options, possibly grouped: -qf, -pFILE */
		for (const char *p = arg + 1; *p != '\0'; p++) {
			char name[3] = { '-', *p, '\0' };
			const RcCtlOpt *opt = find_opt(cmd, name);
			if (opt == NULL || opt->dest == NULL) {
				g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
					    "No such option: %s", name);
				return NULL;
			}
			if (opt->type != RC_CTL_OPT_FLAG) {
				if (!take_option(parsed, opt, name, p[1] != '\0' ? p + 1 : NULL, &i,
						 argc, argv, order, error))
					return NULL;
				break;
			}
			if (!take_option(parsed, opt, name, NULL, &i, argc, argv, order, error))
				return NULL;
		}
	}
	/* positional arguments */
	for (const RcCtlArg *a = cmd->args; a != NULL && a->dest != NULL; a++) {
		if (a->nargs == 1) {
			if (next_pos < positional->len)
				add_value(parsed, a->dest, positional->pdata[next_pos++], order);
		} else {
			while (next_pos < positional->len)
				add_value(parsed, a->dest, positional->pdata[next_pos++], order);
		}
	}
	/* 2. process: help is eager */
	if (parsed->help) {
		g_ptr_array_add(rest, NULL);
		parsed->rest = (GStrv)g_ptr_array_steal(rest, NULL);
		return g_steal_pointer(&parsed);
	}
	for (const RcCtlOpt *o = cmd->opts; o != NULL && o->longname != NULL; o++) {
		if (!g_hash_table_contains(parsed->values, o->dest) && o->envvar != NULL) {
			const char *env = g_getenv(o->envvar);
			if (env != NULL && env[0] != '\0')
				add_value(parsed, o->dest, env, order);
		}
	}
	for (const RcCtlOpt *o = cmd->opts; o != NULL && o->longname != NULL; o++) {
		if (!g_ptr_array_find_with_equal_func(order, o->dest, g_str_equal, NULL))
			g_ptr_array_add(order, (gpointer)o->dest);
	}
	for (const RcCtlArg *a = cmd->args; a != NULL && a->dest != NULL; a++) {
		if (!g_ptr_array_find_with_equal_func(order, a->dest, g_str_equal, NULL))
			g_ptr_array_add(order, (gpointer)a->dest);
	}
	for (guint k = 0; k < order->len; k++) {
		const char *dest = order->pdata[k];
		GPtrArray *vals = g_hash_table_lookup(parsed->values, dest);
		const RcCtlOpt *opt = NULL;
		const RcCtlArg *arg = NULL;

		for (const RcCtlOpt *o = cmd->opts; o != NULL && o->longname != NULL; o++) {
			if (g_strcmp0(o->dest, dest) == 0)
				opt = o;
		}
		for (const RcCtlArg *a = cmd->args; a != NULL && a->dest != NULL; a++) {
			if (g_strcmp0(a->dest, dest) == 0)
				arg = a;
		}
		if (opt != NULL && vals != NULL) {
			for (guint v = 0; v < vals->len; v++) {
				gboolean b;
				if ((opt->type == RC_CTL_OPT_INT && !check_int(vals->pdata[v], error)) ||
				    (opt->type == RC_CTL_OPT_FLOAT &&
				     !check_float(vals->pdata[v], error)) ||
				    (opt->type == RC_CTL_OPT_BOOL &&
				     !rc_ctl_parse_bool(vals->pdata[v], &b, error)))
					return NULL;
			}
		}
		if (vals == NULL && ((opt != NULL && opt->required) || (arg != NULL && arg->required))) {
			if (cmd->relax_required_with_help && help_in_args)
				continue;
			g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "Missing parameter: %s", dest);
			return NULL;
		}
	}
	if (next_pos < positional->len) {
		g_autoptr(GString) extra = g_string_new(NULL);
		guint n = positional->len - next_pos;
		for (guint k = next_pos; k < positional->len; k++) {
			if (extra->len > 0)
				g_string_append_c(extra, ' ');
			g_string_append(extra, positional->pdata[k]);
		}
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "Got unexpected extra argument%s (%s)", n == 1 ? "" : "s", extra->str);
		return NULL;
	}
	g_ptr_array_add(rest, NULL);
	parsed->rest = (GStrv)g_ptr_array_steal(rest, NULL);
	return g_steal_pointer(&parsed);
}

const char *
rc_ctl_get(RcCtlParsed *parsed, const char *dest)
{
	GPtrArray *vals = g_hash_table_lookup(parsed->values, dest);
	if (vals == NULL || vals->len == 0)
		return NULL;
	return vals->pdata[vals->len - 1];
}

GPtrArray *
rc_ctl_get_all(RcCtlParsed *parsed, const char *dest)
{
	return g_hash_table_lookup(parsed->values, dest);
}

gboolean
rc_ctl_flag(RcCtlParsed *parsed, const char *dest)
{
	return g_hash_table_contains(parsed->flags, dest);
}
