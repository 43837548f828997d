/* rc-ctl-cli.h: a small Click 8.3 work-alike for receptorctl's argument
 * parsing: option/argument tables, parse errors and their texts, processing
 * order (control.md 5.3; PyPI receptorctl 1.6.9 pins click 8.3.x). */
#pragma once

#include <glib.h>

typedef enum {
	RC_CTL_OPT_FLAG = 0,
	RC_CTL_OPT_TEXT = 1,
	RC_CTL_OPT_INT = 2,
	RC_CTL_OPT_FLOAT = 3,
	RC_CTL_OPT_BOOL = 4
} RcCtlOptType;

typedef struct {
	const char *longname;  /* "--count" */
	const char *shortname; /* "-c" or NULL */
	const char *dest;      /* parameter name, e.g. "count" (NULL = the help option) */
	RcCtlOptType type;
	gboolean multiple;
	gboolean required;
	const char *envvar; /* nullable */
} RcCtlOpt;

typedef struct {
	const char *dest; /* "node" */
	int nargs;        /* 1 or -1 */
	gboolean required;
} RcCtlArg;

typedef struct {
	const RcCtlOpt *opts; /* terminated by longname NULL */
	const RcCtlArg *args; /* terminated by dest NULL; may be NULL */
	gboolean is_group;    /* stop at the first positional (the subcommand) */
	gboolean relax_required_with_help; /* receptorctl's IgnoreRequiredWithHelp */
} RcCtlCommand;

typedef struct {
	GHashTable *values; /* dest -> GPtrArray of char* (option values, argument values) */
	GHashTable *flags;  /* dest set */
	gboolean help;
	GStrv rest;         /* groups: the subcommand and its arguments */
} RcCtlParsed;

void rc_ctl_parsed_free(RcCtlParsed *parsed);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcCtlParsed, rc_ctl_parsed_free)

/* Parse `argv` (argc entries) for `cmd`.  Errors carry Click's message
 * (str() of the exception, as receptorctl prints it).  (transfer full) */
RcCtlParsed *rc_ctl_parse(const RcCtlCommand *cmd, int argc, char **argv, GError **error);

/* The last value of an option or the first of an argument (transfer none) (nullable). */
const char *rc_ctl_get(RcCtlParsed *parsed, const char *dest);
/* All values (transfer none) (nullable). */
GPtrArray *rc_ctl_get_all(RcCtlParsed *parsed, const char *dest);
gboolean rc_ctl_flag(RcCtlParsed *parsed, const char *dest);

/* Python repr() of a str. (transfer full) */
char *rc_ctl_repr(const char *text);
/* Click's BOOL conversion. */
gboolean rc_ctl_parse_bool(const char *text, gboolean *out, GError **error);
