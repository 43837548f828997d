/* rc-help.c: --help and --bash-completion text (config.md 13, 14), after
 * ghjm/cmdline v0.1.2 ShowHelp / BashCompletion. */
#include "config.h"

#include "rc-help.h"

#include <string.h>

#include "receptor/receptor-plugin.h"

/* Section headers by RcEntityKind, in help order (config.md 13 item 5). */
static const char *const section_headers[] = {
    [RC_ENTITY_GLOBAL] = NULL,
    [RC_ENTITY_RESOURCE] = "Commands that configure resources used by other commands:",
    [RC_ENTITY_BACKEND] = "Commands to configure back-ends, which connect Receptor nodes together:",
    [RC_ENTITY_SERVICE] = "Commands to configure services that run on top of the Receptor mesh:",
    [RC_ENTITY_WORKER] = "Commands to configure workers that process units of work:",
    [RC_ENTITY_CERT] = "Commands to generate certificates and run a certificate authority",
};

/* Go's printableTypeName for each parameter type (config.md 5.1). */
static const char *
type_name(guint32 type)
{
	switch (type) {
	case RC_PARAM_BOOL:
		return "bool";
	case RC_PARAM_INT:
		return "int";
	case RC_PARAM_FLOAT:
		return "float64";
	case RC_PARAM_STRING_LIST:
		return "[]string (may be repeated)";
	case RC_PARAM_FLOAT_MAP:
		return "JSON dict of string to float64";
	case RC_PARAM_JSON_MAP:
		return "JSON dict with string keys";
	case RC_PARAM_MAP_LIST:
		return "JSON list of JSON dict of JSON data to JSON data";
	case RC_PARAM_STRING:
	case RC_PARAM_DURATION:
	default:
		return "string";
	}
}

/* Go Receptor's registration order (config.md 14), which fixes the order of
 * --help and completion whichever of core or plugin provides an entity;
 * other entities follow in registry order. */
static const char *const go_order[] = {
    "node", "local-only", "version", "log-level", "trace", "tls-server", "tls-client",
    "cert-init", "cert-makereq", "cert-signreq", "control-service", "command-service",
    "ip-router", "tcp-server", "tcp-client", "udp-server", "udp-client", "unix-socket-server",
    "unix-socket-client", "tcp-listener", "tcp-peer", "udp-listener", "udp-peer", "ws-listener",
    "ws-peer", "work-signing", "work-verification", "work-command", "command-runner",
    "work-kubernetes", "work-python", NULL};

static guint
go_rank(const RcLookup *l)
{
	for (guint i = 0; go_order[i] != NULL; i++) {
		if (l->desc != NULL && g_ascii_strcasecmp(l->desc->name, go_order[i]) == 0)
			return i;
	}
	return G_N_ELEMENTS(go_order);
}

static gint
compare_rank(gconstpointer a, gconstpointer b)
{
	guint ra = go_rank(*(const RcLookup *const *)a), rb = go_rank(*(const RcLookup *const *)b);
	return ra < rb ? -1 : ra > rb ? 1 : 0;
}

/* rc_registry_list in help order (g_ptr_array_sort is a stable merge sort). */
static GPtrArray *
sorted_list(RcRegistry *registry)
{
	GPtrArray *list = rc_registry_list(registry);
	g_ptr_array_sort(list, compare_rank);
	return list;
}

/* `node` is the only required entity (config.md 8, P19). */
static gboolean
entity_required(const RcEntityDesc *desc)
{
	return g_ascii_strcasecmp(desc->name, "node") == 0;
}

static void
render_entity(GString *out, const RcEntityDesc *desc)
{
	g_autofree char *name = g_ascii_strdown(desc->name, -1);
	g_string_append_printf(out, "   --%s", name);
	if (desc->description != NULL && desc->description[0] != '\0')
		g_string_append_printf(out, ": %s", desc->description);
	if (entity_required(desc))
		g_string_append(out, " (required)");
	g_string_append_c(out, '\n');
	for (const RcParamDesc *p = desc->params; p != NULL && p->name != NULL; p++) {
		g_string_append_printf(out, "      %s=<%s>", p->name, type_name(p->type));
		if (!(p->flags & RC_PARAM_NO_DESC) && p->description != NULL &&
		    p->description[0] != '\0')
			g_string_append_printf(out, ": %s", p->description);
		gboolean req = (p->flags & RC_PARAM_REQUIRED) != 0;
		gboolean def = p->default_value != NULL && p->default_value[0] != '\0';
		if (req && def)
			g_string_append_printf(out, " (required, default: %s)", p->default_value);
		else if (req)
			g_string_append(out, " (required)");
		else if (def)
			g_string_append_printf(out, " (default: %s)", p->default_value);
		g_string_append_c(out, '\n');
	}
	g_string_append_c(out, '\n');
}

char *
rc_help_render(RcRegistry *registry, const char *prog)
{
	g_autofree char *base = g_path_get_basename(prog != NULL ? prog : "receptor");
	g_autoptr(GPtrArray) list = sorted_list(registry);
	GString *out = g_string_new(NULL);

	g_string_append_printf(out, "Usage: %s [--<action> [<param>=<value> ...] ...]\n\n", base);
	g_string_append(out, "   --help: Show this help\n\n");
	g_string_append(out,
			"   --config <filename>: Load additional config options from a YAML file\n\n");
	g_string_append(out, "   --bash-completion: Generate a completion script for the bash shell\n");
	g_string_append_printf(out, "         Run \". <(%s --bash-completion)\" to activate now\n\n",
			       base);

	for (guint kind = 0; kind < G_N_ELEMENTS(section_headers); kind++) {
		gboolean any = FALSE;
		for (guint i = 0; i < list->len; i++) {
			const RcLookup *l = list->pdata[i];
			any = any || (l->desc != NULL && l->desc->kind == kind &&
				      !(l->desc->flags & RC_ENTITY_HIDDEN));
		}
		if (!any && kind != RC_ENTITY_GLOBAL)
			continue;
		if (section_headers[kind] != NULL)
			g_string_append_printf(out, "%s\n\n", section_headers[kind]);
		for (int pass = 0; pass < 2; pass++) {
			for (guint i = 0; i < list->len; i++) {
				const RcLookup *l = list->pdata[i];
				const RcEntityDesc *d = l->desc;
				if (d == NULL || d->kind != kind || (d->flags & RC_ENTITY_HIDDEN))
					continue;
				if (entity_required(d) == (pass == 0))
					render_entity(out, d);
			}
		}
	}

	/* receptor-c addition: which plugin provides which entities. */
	g_string_append(out, "Plugins:\n\n");
	g_autoptr(GPtrArray) plugins = g_ptr_array_new();
	for (guint i = 0; i < list->len; i++) {
		const RcLookup *l = list->pdata[i];
		if (l->plugin == NULL)
			continue;
		gboolean seen = FALSE;
		for (guint j = 0; j < plugins->len && !seen; j++)
			seen = g_strcmp0(plugins->pdata[j], l->plugin) == 0;
		if (!seen)
			g_ptr_array_add(plugins, (gpointer)l->plugin);
	}
	for (guint j = 0; j < plugins->len; j++) {
		g_string_append_printf(out, "   %s:", (const char *)plugins->pdata[j]);
		const char *sep = " ";
		for (guint i = 0; i < list->len; i++) {
			const RcLookup *l = list->pdata[i];
			if (g_strcmp0(l->plugin, plugins->pdata[j]) != 0 || l->desc == NULL ||
			    (l->desc->flags & RC_ENTITY_HIDDEN))
				continue;
			g_autofree char *name = g_ascii_strdown(l->desc->name, -1);
			g_string_append_printf(out, "%s--%s", sep, name);
			sep = ", ";
		}
		g_string_append_c(out, '\n');
	}
	if (plugins->len == 0)
		g_string_append(out, "   (no plugins found)\n");
	g_string_append_c(out, '\n');
	return g_string_free(out, FALSE);
}

char *
rc_help_completion(RcRegistry *registry, const char *prog)
{
	g_autofree char *base = g_path_get_basename(prog != NULL ? prog : "receptor");
	g_autoptr(GPtrArray) list = sorted_list(registry);
	GString *out = g_string_new(NULL);

	g_string_append_printf(out, "_%s()\n", base);
	g_string_append(out, "{\n"
			     "  local cur prevdashed count DASHCMDS\n"
			     "  cur=${COMP_WORDS[COMP_CWORD]}\n"
			     "  count=$((COMP_CWORD-1))\n"
			     "  while [[ $count > 1 && ! ${COMP_WORDS[$count]} == --* ]]; do\n"
			     "    count=$((count-1))\n"
			     "  done\n"
			     "  prevdashed=${COMP_WORDS[$count]}\n");
	g_string_append(out, "  DASHCMDS=\"--help --bash-completion --config -c");
	for (guint i = 0; i < list->len; i++) {
		const RcLookup *l = list->pdata[i];
		if (l->desc == NULL)
			continue;
		g_autofree char *name = g_ascii_strdown(l->desc->name, -1);
		g_string_append_printf(out, " --%s", name);
	}
	g_string_append(out, "\"\n");
	g_string_append(out, "  if [[ $cur == -* ]]; then\n"
			     "    COMPREPLY=($(compgen -W \"$DASHCMDS\" -- ${cur}))\n"
			     "  else"
			     "    case ${prevdashed} in\n"
			     "      -c|--config)\n"
			     "        COMPREPLY=($(compgen -f -- ${cur}))\n"
			     "        ;;\n");
	for (guint i = 0; i < list->len; i++) {
		const RcLookup *l = list->pdata[i];
		const RcEntityDesc *d = l->desc;
		if (d == NULL || (d->flags & RC_ENTITY_HIDDEN))
			continue;
		g_autofree char *name = g_ascii_strdown(d->name, -1);
		g_string_append_printf(out, "      --%s)\n", name);
		g_string_append(out, "        COMPREPLY=($(compgen -W \"");
		for (const RcParamDesc *p = d->params; p != NULL && p->name != NULL; p++)
			g_string_append_printf(out, "%s%s=", p == d->params ? "" : " ", p->name);
		g_string_append(out, "\" -- ${cur}))\n"
				     "        ;;\n");
	}
	g_string_append(out, "      *)\n"
			     "        COMPREPLY=($(compgen -W \"$DASHCMDS\" -- ${cur}))\n"
			     "        ;;\n"
			     "    esac\n"
			     "  fi\n"
			     "  [[ $COMPREPLY == *= ]] && compopt -o nospace\n"
			     "}\n");
	g_string_append_printf(out, "complete -F _%s %s\n", base, base);
	return g_string_free(out, FALSE);
}
