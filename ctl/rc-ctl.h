/* rc-ctl.h: receptorctl's shared state and output helpers (control.md 5.3). */
#pragma once

#include <glib.h>

#include "rc-ctl-client.h"

typedef struct {
	char *prog;             /* basename of argv[0], for usage lines */
	RcCtlClient *rc;        /* nullable: no --socket (help only) */
	char *receptor_version; /* from the version query, "Unknown" before */
} RcCtl;

/* "ERROR: <message>" on stderr (red on a terminal). */
void rc_ctl_print_error(const char *message);
/* "Warning: <message>" on stderr (magenta on a terminal). */
void rc_ctl_print_warning(const char *message);
/* click.echo: the text and a newline on stdout, flushed. */
void rc_ctl_echo(const char *text);
/* Print the error, free it, return 1. */
int rc_ctl_fail(GError *error);
/* `templ` with every "%s" replaced by `prog`.  (transfer full) */
char *rc_ctl_expand(const char *templ, const char *prog);
/* `format` with the program name, then a newline, on stdout. */
void rc_ctl_print_help(RcCtl *ctl, const char *format);
