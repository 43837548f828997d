/* rc-ctl.c: receptorctl output helpers (control.md 5.3). */
#include "config.h"

#include "rc-ctl.h"

#include <stdio.h>
#include <unistd.h>

/* ------------------------------------------------------------------ output */

void
rc_ctl_print_error(const char *message)
{
	gboolean tty = isatty(STDERR_FILENO);
	/* colour only on a terminal (control.md 5.3) */
	fprintf(stderr, "%sERROR: %s%s\n", tty ? "\033[31m" : "", message, tty ? "\033[0m" : "");
	fflush(stderr);
}

void
rc_ctl_print_warning(const char *message)
{
	gboolean tty = isatty(STDERR_FILENO);
	fprintf(stderr, "%sWarning: %s%s\n", tty ? "\033[35m" : "", message,
		tty ? "\033[0m" : "");
	fflush(stderr);
}

void
rc_ctl_echo(const char *text)
{
	fputs(text, stdout);
	fputc('\n', stdout);
	fflush(stdout);
}

int
rc_ctl_fail(GError *error)
{
	rc_ctl_print_error(error->message);
	g_error_free(error);
	return 1;
}

void
rc_ctl_print_help(RcCtl *ctl, const char *format)
{
	g_autofree char *text = rc_ctl_expand(format, ctl->prog);
	fputs(text, stdout);
	fputc('\n', stdout);
	fflush(stdout);
}


char *
rc_ctl_expand(const char *templ, const char *prog)
{
	g_auto(GStrv) parts = g_strsplit(templ, "%s", -1);
	return g_strjoinv(prog, parts);
}
